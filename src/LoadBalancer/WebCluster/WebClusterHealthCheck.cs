using Foobar.Proxy;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Foobar.LoadBalancer.WebCluster;

/// <summary>
/// Readiness detail: with no web server available the load balancer still runs and answers 503 pages, so this reports
/// Degraded (still 200 on /health/ready) rather than Unhealthy: a container orchestrator must not restart the
/// load balancer for its backends' outage.
/// </summary>
internal sealed class WebClusterHealthCheck(ProxyCluster cluster) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var servers = cluster.Destinations();
        var available = servers.Count(s => s.Available);
        return Task.FromResult(available > 0
            ? HealthCheckResult.Healthy($"{available} of {servers.Count} web servers available")
            : HealthCheckResult.Degraded($"no web server available (of {servers.Count})"));
    }
}
