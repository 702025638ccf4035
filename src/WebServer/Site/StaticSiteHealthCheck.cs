using Microsoft.AspNetCore.StaticAssets;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Foobar.WebServer.Site;

/// <summary>Healthy once the board's page is among the mapped static asset endpoints, i.e. the site can be served.</summary>
internal sealed class StaticSiteHealthCheck(EndpointDataSource endpoints) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(endpoints.Endpoints.Any(e => e.Metadata.GetMetadata<StaticAssetDescriptor>() is { Route: "index.html" })
            ? HealthCheckResult.Healthy("index.html is mapped")
            : HealthCheckResult.Unhealthy("the static asset manifest has no index.html"));
}
