using Foobar.Proxy.Body;
using Foobar.Proxy.Health;
using Foobar.Proxy.Retry;
using Foobar.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.ServiceDiscovery;

namespace Foobar.Proxy;

public static class ProxyRegistration
{
    /// <summary>
    /// Registers YARP for one health-checked upstream cluster described by <paramref name="definition"/>,
    /// with its settings validated at start from the definition's configuration section.
    /// Needs <see cref="NodeOptions"/> (from AddServiceDefaults) for the Via header.
    /// </summary>
    public static IReverseProxyBuilder AddProxyCluster(this IHostApplicationBuilder builder, ProxyDefinition definition)
    {
        builder.AddValidatedOptions<ProxyClusterOptions>(definition.Section);
        builder.Services.AddSingleton(definition);
        builder.Services.AddSingleton<ProxyMetrics>();
        builder.Services.AddSingleton<DrainedDestinations>();
        builder.Services.AddSingleton<UpstreamNodeNames>();
        builder.Services.AddSingleton(sp => new ProxyCluster(
            sp.GetRequiredService<IProxyStateLookup>(),
            sp.GetRequiredService<IClusterDestinationsUpdater>(),
            sp.GetRequiredService<DrainedDestinations>(),
            sp.GetRequiredService<UpstreamNodeNames>(),
            definition));
        builder.Services.AddSingleton<IProxyConfigProvider, ReloadingClusterConfigProvider>();
        builder.Services.AddSingleton<IActiveHealthCheckPolicy, RiseFallHealthPolicy>();
        builder.Services.AddSingleton<IPassiveHealthCheckPolicy, ErrorLimitHealthPolicy>();
        builder.Services.AddSingleton<IAvailableDestinationsPolicy, HealthyOnlyDestinationsPolicy>();
        builder.Services.AddSingleton<IForwarderHttpClientFactory, UpstreamHttpClientFactory>();

        var proxy = builder.Services.AddReverseProxy()
            .AddTransforms(context => ViaTransforms.Add(context, context.Services.GetRequiredService<IOptions<NodeOptions>>().Value.Name));

        // Read here, not from the validated options: the resolver must be registered before the container is built.
        if (builder.Configuration.GetValue<bool>($"{definition.Section}:{nameof(ProxyClusterOptions.ResolveDns)}"))
        {
            proxy.AddDnsDestinationResolver();
            DecorateDnsResolver(builder.Services);
            builder.Services.AddOptions<DnsDestinationResolverOptions>()
                .Configure<IOptions<ProxyClusterOptions>>((dns, cluster) => dns.RefreshPeriod = cluster.Value.DnsRefreshPeriod);
        }

        return proxy;
    }

    /// <summary>YARP's DNS resolver (an internal type) wrapped in <see cref="LastKnownDestinationResolver"/>.</summary>
    private static void DecorateDnsResolver(IServiceCollection services)
    {
        var dns = services.Last(d => d.ServiceType == typeof(IDestinationResolver));
        services.Remove(dns);
        services.AddSingleton<IDestinationResolver>(sp => ActivatorUtilities.CreateInstance<LastKnownDestinationResolver>(
            sp, (IDestinationResolver)ActivatorUtilities.CreateInstance(sp, dns.ImplementationType!)));
    }

    /// <summary>
    /// Maps the cluster's route with our pipeline: the client's body is judged first (limit, full receipt), then
    /// retry (so a re-send goes through the rest again),
    /// then YARP's session affinity, load balancing and passive health checks, then the forwarder.
    /// </summary>
    public static IEndpointConventionBuilder MapProxyCluster(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapReverseProxy(pipeline =>
        {
            pipeline.UseMiddleware<ClientBodyMiddleware>();
            pipeline.UseMiddleware<ProxyRetryMiddleware>();
            pipeline.UseSessionAffinity();
            pipeline.UseLoadBalancing();
            pipeline.UsePassiveHealthChecks();
        });
}
