using Foobar.LoadBalancer.Admin;
using Foobar.Proxy;

namespace Foobar.LoadBalancer.Monitoring;

/// <summary>What one poll of one node found: its runtime numbers from /metrics and its own status document.</summary>
internal sealed record NodeReading(MonitoredNode Node, DateTimeOffset At)
{
    /// <summary>Null when the node answered; else why not (refused, timeout, status code).</summary>
    public string? Error { get; init; }

    public bool Reachable => Error is null;

    public PrometheusText? Metrics { get; init; }

    /// <summary>A load balancer's /status, in the admin API's own type.</summary>
    public StatusResponse? LbStatus { get; init; }

    /// <summary>A web server's /internal/status, in the web tier's own type.</summary>
    public NodeStatus? WebStatus { get; init; }

    /// <summary>An app server's /health/ready answer: true 200, false 503.</summary>
    public bool? Ready { get; init; }
}
