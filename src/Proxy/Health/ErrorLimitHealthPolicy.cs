using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Foobar.Proxy.Health;

/// <summary>
/// Passive health in HAProxy's <c>observe layer4</c> + <c>error-limit</c> + <c>on-error mark-down</c> shape: a
/// destination is taken out for <see cref="HealthCheckSettings.PassiveReactivation"/> after
/// <see cref="HealthCheckSettings.PassiveErrorLimit"/> failures of its own in a row within
/// <see cref="HealthCheckSettings.PassiveErrorWindow"/>, and only while fewer than
/// <see cref="HealthCheckSettings.PassiveMaxEjectedPercent"/> of the cluster is already out that way.
/// What counts as its own failure is <see cref="DestinationFault"/>'s call. YARP's TransportFailureRate policy
/// waits for a failure rate over a minute of traffic, far too slow for a killed server.
/// </summary>
internal sealed partial class ErrorLimitHealthPolicy(
    IDestinationHealthUpdater healthUpdater,
    IOptions<ProxyClusterOptions> options,
    TimeProvider time,
    ProxyMetrics metrics,
    ILogger<ErrorLimitHealthPolicy> logger) : IPassiveHealthCheckPolicy
{
    public const string PolicyName = "ErrorLimit";

    private readonly ConditionalWeakTable<DestinationState, ErrorWindow> _windows = [];
    private readonly Lock _ejectLock = new();

    public string Name => PolicyName;

    public void RequestProxied(HttpContext context, ClusterState cluster, DestinationState destination)
    {
        var window = _windows.GetOrCreateValue(destination);
        if (!DestinationFault.IsDestinationFailure(context))
        {
            // Any answer from the destination, a 4xx or 5xx included, shows it is alive. A client's failure says nothing.
            if (context.Features.Get<IForwarderErrorFeature>() is null)
            {
                window.RecordSuccess();
            }

            return;
        }

        var settings = options.Value.HealthCheck;
        var failures = window.RecordFailure(time.GetUtcNow(), settings.PassiveErrorWindow);
        if (failures < settings.PassiveErrorLimit || destination.Health.Passive == DestinationHealth.Unhealthy)
        {
            return;
        }

        lock (_ejectLock)
        {
            var all = cluster.DestinationsState.AllDestinations;
            var ejected = all.Count(d => d.Health.Passive == DestinationHealth.Unhealthy);
            var allowed = EjectionBudget.Allowed(all.Count, settings.PassiveMaxEjectedPercent);
            if (ejected >= allowed)
            {
                Log.PassiveEjectionCapped(logger, destination.DestinationId, cluster.ClusterId, failures, ejected, allowed);
                metrics.PassiveEjectionCapped(cluster.ClusterId);
                return;
            }

            Log.PassivelyDown(logger, destination.DestinationId, cluster.ClusterId, failures, settings.PassiveReactivation);
            metrics.HealthChanged(cluster.ClusterId, destination.DestinationId, "passive", DestinationHealth.Unhealthy);
            window.Reset();
            // SetPassive marks the destination before it returns (only the rotation update is deferred), so the next
            // failure inside this lock already sees the budget spent.
            healthUpdater.SetPassive(cluster, destination, DestinationHealth.Unhealthy, settings.PassiveReactivation);
        }
    }
}
