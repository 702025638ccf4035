namespace Foobar.LoadBalancer.Election.Endpoint;

/// <summary>
/// Whatever the leader owns. <c>listen</c> mode (<see cref="Listen.ListenVirtualEndpoint"/>) opens and closes the public
/// listeners; a later <c>address</c> mode would add the virtual IP to an interface and send gratuitous ARP, the way
/// keepalived does, behind this same interface. Calls never overlap (one worker drives them).
/// </summary>
internal interface IVirtualEndpoint
{
    /// <summary>
    /// Take the endpoint; throws <see cref="VirtualEndpointUnavailableException"/> when it cannot (e.g. the port is
    /// held). <paramref name="how"/>: <see cref="EndpointAcquisition.Exclusive"/>, the endpoint must be free (the
    /// fence against a node nobody ever heard); <see cref="EndpointAcquisition.Handover"/>, the outgoing owner is alive
    /// and still holds it, sharing briefly is allowed and the outgoing owner moves new work here;
    /// <see cref="EndpointAcquisition.Takeover"/>, the last owner went silent and may still hold it: take it anyway and
    /// move all new work here yourself.
    /// </summary>
    Task AcquireAsync(EndpointAcquisition how, CancellationToken cancellationToken);

    /// <summary>
    /// Give the endpoint up; in-flight work on it may finish afterwards. <paramref name="handover"/>: the new Master
    /// already holds it, so move new work to it and finish what is queued here before letting go.
    /// </summary>
    Task ReleaseAsync(bool handover, CancellationToken cancellationToken);
}
