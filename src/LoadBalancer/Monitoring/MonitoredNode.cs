namespace Foobar.LoadBalancer.Monitoring;

/// <summary>One node of the stack as the dashboard knows it.</summary>
internal sealed record MonitoredNode
{
    /// <summary>Its readable name (web-1), used everywhere instead of its address.</summary>
    public string Name { get; init; } = "";

    /// <summary><c>lb</c>, <c>web</c>, <c>app</c>, or <c>postgres</c> (a database server: named, seen through the app tier, not polled).</summary>
    public string Role { get; init; } = "";

    /// <summary>Its main URL (what the upstream proxy's destinations name), for mapping addresses to names.</summary>
    public string? Url { get; init; }

    /// <summary>Its management listener (admin port for a load balancer): /metrics, /status, /internal/status, /health.</summary>
    public string? ManagementUrl { get; init; }
}
