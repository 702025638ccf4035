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
    /// held). <paramref name="handover"/>: a planned handover is under way (the Master announced it is leaving, or this
    /// node preempts a live Master that steps down on hearing it), so the outgoing owner may still hold the endpoint
    /// and sharing it briefly is allowed; otherwise the endpoint must be free (the fence).
    /// </summary>
    Task AcquireAsync(bool handover, CancellationToken cancellationToken);

    /// <summary>
    /// Give the endpoint up; in-flight work on it may finish afterwards. <paramref name="handover"/>: the new Master
    /// already holds it, so move new work to it and finish what is queued here before letting go.
    /// </summary>
    Task ReleaseAsync(bool handover, CancellationToken cancellationToken);
}
