using Foobar.LoadBalancer.WebCluster;

namespace Foobar.LoadBalancer.Admin;

/// <summary>One web server on /status. <see cref="Name"/> is what the drain and ready actions take.</summary>
internal sealed record ServerStatus
{
    public required string Name { get; init; }

    public required string Address { get; init; }

    /// <summary>The web server's own node name (web-2), from its health probes' X-Served-By; null until it answered one.</summary>
    public string? Node { get; init; }

    /// <summary><c>healthy</c>, <c>unhealthy</c> or <c>unknown</c> (not probed yet): active and passive checks combined.</summary>
    public required string Health { get; init; }

    public required string ActiveCheck { get; init; }

    public required string PassiveCheck { get; init; }

    /// <summary><c>ready</c> or <c>drain</c>, after HAProxy's server states.</summary>
    public required string State { get; init; }

    /// <summary>Whether a new request may be sent to it now (healthy or unknown, and not drained).</summary>
    public required bool Available { get; init; }

    public required int InFlight { get; init; }

    public required long Requests { get; init; }

    public required long Errors { get; init; }

    public LatencyPercentiles? LatencyMs { get; init; }
}
