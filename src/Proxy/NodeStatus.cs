namespace Foobar.Proxy;

/// <summary>
/// Body of a web server's GET /internal/status: the web server and each app server as it sees them. Here, beside
/// <see cref="DestinationStatus"/>, because two tiers use it: the web tier writes it and the load balancer's stack
/// monitor reads it.
/// </summary>
public sealed record NodeStatus(
    string Node,
    string Role,
    bool Ready,
    DateTimeOffset StartedAt,
    double UptimeSeconds,
    int AvailableAppServers,
    IReadOnlyList<DestinationStatus> AppServers);
