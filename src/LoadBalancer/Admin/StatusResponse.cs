using Foobar.LoadBalancer.Election;

namespace Foobar.LoadBalancer.Admin;

/// <summary>The body of <c>GET /status</c>: this load balancer, its web servers, and its election (with the peers as heard).</summary>
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

    /// <summary>
    /// The leader election: this node's state, priorities, health, transitions with reasons, and every peer as last
    /// heard (state, effective and configured priority, time, whether it holds the endpoint) with the changes seen.
    /// With <c>Election:Enabled=false</c> the state is Master from start to stop and there are no peers.
    /// </summary>
    public ElectionSnapshot? Election { get; init; }
}
