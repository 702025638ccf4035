namespace Foobar.ServiceDefaults;

/// <summary>Configuration section <c>Metrics</c>.</summary>
public sealed record MetricsOptions
{
    public const string Section = "Metrics";

    /// <summary>
    /// False skips the per-request HTTP metrics: prometheus-net's middleware and the .NET instruments recorded on every
    /// request, which on a proxy's hot path cost more than the forwarding (bench/README.md). The load balancer's
    /// default is false; it exports its own per-server totals instead.
    /// </summary>
    public bool PerRequest { get; init; } = true;
}
