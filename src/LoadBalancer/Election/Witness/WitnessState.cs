namespace Foobar.LoadBalancer.Election.Witness;

/// <summary>What this node's lease is, as the admin <c>/status</c> shows it (<see cref="WitnessStatus"/>).</summary>
internal enum WitnessState
{
    /// <summary>This node neither holds nor wants the endpoint: it does not ask the witness.</summary>
    Idle,

    /// <summary>Master and asking for the lease before it takes the endpoint.</summary>
    Acquiring,

    /// <summary>Master, but the witness answered that another node holds a lease that has not run out.</summary>
    HeldByOther,

    /// <summary>Holds the endpoint and the lease, renewed within its duration.</summary>
    Holding,

    /// <summary>Holds the endpoint, but the last requests to the witness failed or were not confirmed yet.</summary>
    Unconfirmed,

    /// <summary>Let go of the lease (stepping down or stopping) so the successor can take it at once.</summary>
    Yielded,

    /// <summary>Released the endpoint because it could no longer count on two votes of three.</summary>
    Fenced,
}
