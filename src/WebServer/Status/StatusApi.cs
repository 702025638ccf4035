using Foobar.Proxy;
using Foobar.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Foobar.WebServer.Status;

/// <summary>
/// GET /internal/status, on the management listener only: ManagementPortGate answers 404 for /internal/*
/// on the public port, and without a management listener the endpoint is not mapped at all.
/// </summary>
internal static class StatusApi
{
    public static IEndpointRouteBuilder MapStatusApi(this IEndpointRouteBuilder endpoints)
    {
        if (endpoints.ServiceProvider.GetRequiredService<IOptions<ManagementOptions>>().Value.Port is not null)
        {
            endpoints.MapGet("/internal/status", GetStatus);
        }

        return endpoints;
    }

    public static async Task<Ok<NodeStatus>> GetStatus(
        ProxyCluster cluster, HealthCheckService health, IOptions<NodeOptions> node, NodeClock clock, CancellationToken ct)
    {
        var report = await health.CheckHealthAsync(ct);
        var appServers = cluster.Destinations();
        return TypedResults.Ok(new NodeStatus(
            node.Value.Name,
            "web",
            report.Status == HealthStatus.Healthy,
            clock.StartedAt,
            clock.UptimeSeconds,
            appServers.Count(a => a.Available),
            appServers));
    }
}
