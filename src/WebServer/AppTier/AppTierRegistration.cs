using Foobar.Proxy;
using Yarp.ReverseProxy.Configuration;

namespace Foobar.WebServer.AppTier;

/// <summary>/api/* goes to the app servers listed under <c>AppServers</c>, through the shared proxy.</summary>
internal static class AppTierRegistration
{
    public const string Section = "AppServers";
    public const string ClusterId = "app";

    public static WebApplicationBuilder AddAppTier(this WebApplicationBuilder builder)
    {
        builder.AddProxyCluster(new ProxyDefinition
        {
            ClusterId = ClusterId,
            Section = Section,
            Match = new RouteMatch { Path = "/api/{**rest}" },
            // The browser retries its own POSTs with their Idempotency-Key; re-sending them here as well would
            // double the attempts. Reads are safe to re-send (RFC 9110 9.2.1).
            RetryWhen = RetryPredicates.SafeMethods,
        });
        builder.Services.AddSingleton<AppTierMetrics>();
        return builder;
    }

    public static IEndpointRouteBuilder MapAppTier(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapProxyCluster();
        // Created now so the gauge is on /metrics from the first scrape.
        _ = endpoints.ServiceProvider.GetRequiredService<AppTierMetrics>();
        return endpoints;
    }
}
