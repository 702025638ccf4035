namespace Foobar.Proxy;

/// <summary>One upstream as this proxy sees it, for status pages and dashboards.</summary>
/// <param name="Id">YARP destination id: the configured host:port, with <c>[address]</c> appended when resolved from DNS.</param>
/// <param name="Address">The URL requests are sent to.</param>
/// <param name="Health"><c>healthy</c>, <c>unhealthy</c> or <c>unknown</c> (not probed yet): active and passive combined.</param>
/// <param name="Active">The active probes' verdict.</param>
/// <param name="Passive">The passive check's verdict (<c>unhealthy</c> for a while after a failed request).</param>
/// <param name="Drained">Taken out of rotation by an operator.</param>
/// <param name="Available">Whether new requests may go to it now.</param>
/// <param name="InFlight">Requests being forwarded to it right now.</param>
/// <param name="Node">The node name it answers its health probes with (X-Served-By), e.g. <c>web-2</c>; null before the first answer.</param>
public sealed record DestinationStatus(
    string Id,
    string Address,
    string Health,
    string Active,
    string Passive,
    bool Drained,
    bool Available,
    int InFlight,
    string? Node);
