using Foobar.Proxy;

namespace Foobar.WebServer.Status;

/// <summary>Body of GET /internal/status: this web server and each app server as it sees them.</summary>
public sealed record NodeStatus(
    string Node,
    string Role,
    bool Ready,
    DateTimeOffset StartedAt,
    double UptimeSeconds,
    int AvailableAppServers,
    IReadOnlyList<DestinationStatus> AppServers);
