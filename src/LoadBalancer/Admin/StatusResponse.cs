using Foobar.LoadBalancer.Election;

namespace Foobar.LoadBalancer.Admin;

/// <summary>The body of <c>GET /status</c>: this load balancer, its web servers, and (once wired) its election.</summary>
internal sealed record StatusResponse
{
    public required string Node { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public required double UptimeSeconds { get; init; }

    /// <summary>Requests answered through the proxy, and those that failed (5xx or no server).</summary>
    public required long Requests { get; init; }

    public required long Errors { get; init; }

    public required int AvailableServers { get; init; }

    public required IReadOnlyList<ServerStatus> Servers { get; init; }

    /// <summary>This node's leader-election state; null while the election is not part of this process.</summary>
    public ElectionSnapshot? Election { get; init; }
}
