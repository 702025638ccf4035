namespace Foobar.LoadBalancer.Election.Endpoint;

/// <summary>
/// A vote the endpoint owner must have before it takes the endpoint and keeps while it holds it: the election
/// witness (<see cref="Witness.LeaseWitness"/>). <see cref="EndpointOwner"/> calls it from its one worker, in order:
/// <see cref="AdmitAsync"/> before a hold begins, <see cref="Holding"/> once the endpoint is taken (or wanted again
/// while still held), <see cref="LettingGo"/> when it starts to give the endpoint up, <see cref="Released"/> after.
/// </summary>
internal interface IEndpointGate
{
    /// <summary>
    /// Waits until this node may take the endpoint <paramref name="how"/>; returns the fencing term the gate granted
    /// (the hold's term is at least that), or 0 when it admitted without granting one. Cancelled when this node stops
    /// wanting the endpoint.
    /// </summary>
    Task<ulong> AdmitAsync(EndpointAcquisition how, ulong proposedTerm, CancellationToken cancellationToken);

    /// <summary>The endpoint is held under <paramref name="term"/>: keep the vote.</summary>
    void Holding(ulong term);

    /// <summary>This node is giving the endpoint up (stepping down, stopping): give the vote back so a successor gets it at once.</summary>
    void LettingGo();

    /// <summary>The endpoint is released, or the acquisition was abandoned.</summary>
    void Released();
}
