namespace Foobar.LoadBalancer.Election.Endpoint;

/// <summary>
/// Whatever the leader owns. <c>listen</c> mode (<see cref="Listen.ListenVirtualEndpoint"/>) opens and closes the public
/// listeners; <c>address</c> mode (<see cref="Address.AddressVirtualEndpoint"/>) adds the virtual IP to an interface and
/// sends gratuitous ARP, the way keepalived does, behind this same interface. Calls never overlap (one worker drives them).
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

    /// <summary>
    /// Made ready once, when the election starts and before any acquire, on every node whether it leads or not; throws
    /// <see cref="VirtualEndpointUnavailableException"/> when it cannot (retried, and unhealthy after the bind grace
    /// period). <c>address</c> mode opens its public listeners here, so that taking the endpoint is only the address
    /// move; <c>listen</c> mode has nothing to prepare (its listeners are the endpoint).
    /// </summary>
    Task PrepareAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Before a planned handover on graceful stop, while this node still holds the endpoint and leads: get clients off
    /// connections that would not survive the move. <c>address</c> mode ends keep-alive and waits for the open
    /// connections to close (a connection open here when the neighbours switch is reset by the new owner); <c>listen</c>
    /// mode needs nothing (the kernel keeps accepted connections with the process that accepted them). May run while the
    /// worker is idle: it touches connections only, never the endpoint.
    /// </summary>
    Task DrainAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
