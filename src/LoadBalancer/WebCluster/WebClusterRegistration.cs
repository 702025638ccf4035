using Foobar.LoadBalancer.Election;
using Foobar.LoadBalancer.Election.Health;
using Foobar.Proxy;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Yarp.ReverseProxy.Configuration;

namespace Foobar.LoadBalancer.WebCluster;

internal static class WebClusterRegistration
{
    public const string Section = "WebServers";

    /// <summary>
    /// The web servers as one YARP cluster (configuration section <c>WebServers</c>, the shared src/Proxy shape): every
    /// path of every served host goes there (HostRoutingMiddleware has already turned other hosts away). A GET or HEAD,
    /// or any request with an Idempotency-Key (the app tier deduplicates those), is re-sent once after a failure.
    /// </summary>
    public static WebApplicationBuilder AddWebCluster(this WebApplicationBuilder builder)
    {
        builder.AddProxyCluster(new ProxyDefinition
        {
            ClusterId = "web",
            Section = Section,
            Match = new RouteMatch { Path = "/{**catch-all}" },
            RetryWhen = RetryPredicates.SafeMethodsOrIdempotencyKey,
        });
        builder.Services.AddSingleton<WebServerStatistics>();
        builder.Services.AddSingleton<LoadBalancerMetrics>();
        builder.Services.AddHealthChecks().AddCheck<WebClusterHealthCheck>("web-cluster");
        builder.Services.TryAddSingleton<IElectionHealthSource, WebClusterElectionHealth>();
        return builder;
    }
}
