using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Foobar.Proxy.Health;

/// <summary>
/// Passive health: a destination that fails a real request at the transport level (refused, reset, no
/// response) is taken out at once, like HAProxy's <c>observe layer4</c> with <c>on-error mark-down</c>.
/// YARP's TransportFailureRate policy waits for a failure rate over a minute of traffic, far too slow for a
/// killed server. Timeouts do not count: a slow server is not a dead one.
/// </summary>
internal sealed class FirstFailureHealthPolicy(
    IDestinationHealthUpdater healthUpdater,
    IOptions<ProxyClusterOptions> options,
    ProxyMetrics metrics,
    ILogger<FirstFailureHealthPolicy> logger) : IPassiveHealthCheckPolicy
{
    public const string PolicyName = "FirstFailure";

    public string Name => PolicyName;

    public void RequestProxied(HttpContext context, ClusterState cluster, DestinationState destination)
    {
        if (context.Features.Get<IForwarderErrorFeature>() is not { Error: ForwarderError.Request or ForwarderError.RequestBodyDestination })
        {
            return;
        }

        var period = options.Value.HealthCheck.PassiveReactivation;
        if (destination.Health.Passive != DestinationHealth.Unhealthy)
        {
            ProxyLog.PassivelyDown(logger, destination.DestinationId, cluster.ClusterId, period);
            metrics.HealthChanged(cluster.ClusterId, destination.DestinationId, "passive", DestinationHealth.Unhealthy);
        }

        healthUpdater.SetPassive(cluster, destination, DestinationHealth.Unhealthy, period);
    }
}
