namespace Foobar.LoadBalancer.Election;

/// <summary>
/// Whatever the leader owns. <c>listen</c> mode (<see cref="ListenVirtualEndpoint"/>) opens and closes the public
/// listeners; a later <c>address</c> mode would add the virtual IP to an interface and send gratuitous ARP, the way
/// keepalived does, behind this same interface. Calls never overlap (one worker drives them).
/// </summary>
internal interface IVirtualEndpoint
{
    /// <summary>Take the endpoint; throws <see cref="VirtualEndpointUnavailableException"/> when it cannot (e.g. the port is still held).</summary>
    Task AcquireAsync(CancellationToken cancellationToken);

    /// <summary>Give the endpoint up; in-flight work on it may finish afterwards.</summary>
    Task ReleaseAsync(CancellationToken cancellationToken);
}
