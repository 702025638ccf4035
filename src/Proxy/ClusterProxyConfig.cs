using Foobar.Proxy.Health;
using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Foobar.Proxy;

/// <summary>Turns the validated <see cref="ProxyClusterOptions"/> into YARP's one route and one cluster.</summary>
internal static class ClusterProxyConfig
{
    public static IProxyConfig Build(ProxyClusterOptions settings, ProxyDefinition definition, IChangeToken? changeToken = null)
    {
        var route = new RouteConfig
        {
            RouteId = $"{definition.ClusterId}-route",
            ClusterId = definition.ClusterId,
            Match = definition.Match,
        };

        var destinations = new Dictionary<string, DestinationConfig>(StringComparer.Ordinal);
        foreach (var url in settings.Destinations)
        {
            var uri = new Uri(url);
            // host:port reads well on a status page; DNS resolution appends "[address]" to it.
            var id = uri.Authority;
            for (var n = 2; destinations.ContainsKey(id); n++)
            {
                id = $"{uri.Authority}#{n}";
            }

            destinations[id] = new DestinationConfig { Address = uri.GetLeftPart(UriPartial.Authority) };
        }

        var health = settings.HealthCheck;
        var cluster = new ClusterConfig
        {
            ClusterId = definition.ClusterId,
            LoadBalancingPolicy = settings.LoadBalancing,
            Destinations = destinations,
            HttpRequest = new ForwarderRequestConfig { ActivityTimeout = settings.RequestTimeout },
            HealthCheck = new HealthCheckConfig
            {
                AvailableDestinationsPolicy = HealthyOnlyDestinationsPolicy.PolicyName,
                Active = new ActiveHealthCheckConfig
                {
                    Enabled = health.Enabled,
                    Interval = health.Interval,
                    Timeout = health.Timeout,
                    Path = health.Path,
                    Policy = RiseFallHealthPolicy.PolicyName,
                },
                Passive = new PassiveHealthCheckConfig
                {
                    Enabled = health.Passive,
                    Policy = FirstFailureHealthPolicy.PolicyName,
                    ReactivationPeriod = health.PassiveReactivation,
                },
            },
        };

        return new StaticProxyConfig([route], [cluster], changeToken ?? new CancellationChangeToken(CancellationToken.None));
    }

    private sealed class StaticProxyConfig(IReadOnlyList<RouteConfig> routes, IReadOnlyList<ClusterConfig> clusters, IChangeToken changeToken) : IProxyConfig
    {
        public IReadOnlyList<RouteConfig> Routes => routes;

        public IReadOnlyList<ClusterConfig> Clusters => clusters;

        // Fixed unless a reloading provider passes a token (ReloadingClusterConfigProvider); DNS re-resolution has its own.
        public IChangeToken ChangeToken => changeToken;
    }
}
