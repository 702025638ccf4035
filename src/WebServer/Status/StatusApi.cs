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
            var startedAt = endpoints.ServiceProvider.GetRequiredService<TimeProvider>().GetUtcNow();
            endpoints.MapGet("/internal/status", (ProxyCluster cluster, HealthCheckService health, IOptions<NodeOptions> node, TimeProvider time, CancellationToken ct) =>
                GetStatus(cluster, health, node, time, startedAt, ct));
        }

        return endpoints;
    }

    public static async Task<Ok<NodeStatus>> GetStatus(
        ProxyCluster cluster, HealthCheckService health, IOptions<NodeOptions> node, TimeProvider time, DateTimeOffset startedAt, CancellationToken ct)
    {
        var report = await health.CheckHealthAsync(ct);
        var appServers = cluster.Destinations();
        return TypedResults.Ok(new NodeStatus(
            node.Value.Name,
            "web",
            report.Status == HealthStatus.Healthy,
            startedAt,
            Math.Round((time.GetUtcNow() - startedAt).TotalSeconds, 1),
            appServers.Count(a => a.Available),
            appServers));
    }
}
