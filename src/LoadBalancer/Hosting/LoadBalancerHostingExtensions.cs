using System.Text.Json.Serialization;
using Foobar.LoadBalancer.Admin;
using Foobar.LoadBalancer.Election;
using Foobar.LoadBalancer.Limits;
using Foobar.LoadBalancer.Monitoring;
using Foobar.LoadBalancer.Listeners;
using Foobar.LoadBalancer.Routing;
using Foobar.LoadBalancer.WebCluster;
using Foobar.Proxy;
using Foobar.ServiceDefaults;
using Microsoft.AspNetCore.Routing.Matching;
using Microsoft.Extensions.Options;

namespace Foobar.LoadBalancer.Hosting;

internal static class LoadBalancerHostingExtensions
{
    /// <summary>
    /// Defaults that differ from the other tiers, below every other configuration source so any of them can override:
    /// no generic per-request metrics on the proxy's hot path (LoadBalancerMetrics exports the per-server totals), and
    /// no leader election unless asked for (<c>Election:Enabled=true</c> with a key and peers): a single load balancer
    /// owns its public listeners alone. Call before AddServiceDefaults, which reads them.
    /// </summary>
    public static WebApplicationBuilder AddLoadBalancerConfigurationDefaults(this WebApplicationBuilder builder)
    {
        builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource
        {
            InitialData =
            [
                new($"{MetricsOptions.Section}:{nameof(MetricsOptions.PerRequest)}", "false"),
                new($"{ElectionOptions.Section}:{nameof(ElectionOptions.Enabled)}", "false"),
            ],
        });
        return builder;
    }

    /// <summary>Everything the edge needs besides ServiceDefaults: listeners, limits, host routing, the web cluster, the admin API.</summary>
    public static WebApplicationBuilder AddLoadBalancer(this WebApplicationBuilder builder)
    {
        builder.AddLoadBalancerListeners();
        builder.AddLoadBalancerLimits();
        builder.AddValidatedOptions<RoutingOptions>(RoutingOptions.Section);
        builder.AddWebCluster();
        builder.AddStackMonitoring();
        builder.Services.AddSingleton<MatcherPolicy, AdminPortMatcherPolicy>();
        builder.Services.AddSingleton(TimeProvider.System);
        // An edge does not advertise its software; the web servers' own headers pass through as they are.
        builder.WebHost.ConfigureKestrel(o => o.AddServerHeader = false);
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        return builder;
    }

    /// <summary>The public request path after ServiceDefaults' middleware: limits, HTTPS policy, host routing, error pages, statistics.</summary>
    public static WebApplication UseLoadBalancer(this WebApplication app)
    {
        _ = app.Services.GetRequiredService<LoadBalancerMetrics>();
        var adminPort = app.Services.GetRequiredService<ManagementPort>();
        var publicOptions = app.Services.GetRequiredService<IOptions<PublicOptions>>().Value;
        app.UseLoadBalancerRateLimit();
        app.UseWhen(context => !adminPort.IsManagement(context), branch =>
        {
            if (publicOptions.Hsts)
            {
                branch.UseHsts();
            }

            if (publicOptions.HttpsRedirect)
            {
                branch.UseHttpsRedirection();
            }
        });
        app.UseMiddleware<HostRoutingMiddleware>();
        app.UseMiddleware<DeclaredBodySizeMiddleware>();
        app.UseMiddleware<ErrorPages>();
        app.UseMiddleware<ProxyStatisticsMiddleware>();
        return app;
    }

    /// <summary>The admin API on its port, and the proxy's catch-all for everything else.</summary>
    public static WebApplication MapLoadBalancer(this WebApplication app)
    {
        app.MapAdminApi();
        app.MapStackDashboard();
        app.MapProxyCluster();
        return app;
    }
}
