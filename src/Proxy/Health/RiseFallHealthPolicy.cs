using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Foobar.Proxy.Health;

/// <summary>
/// Active health with rise and fall. YARP's ConsecutiveFailures policy only counts failures and brings a
/// destination back on the first pass, which lets a flapping server in and out on every probe.
/// </summary>
internal sealed partial class RiseFallHealthPolicy(
    IDestinationHealthUpdater healthUpdater,
    IOptions<ProxyClusterOptions> options,
    ProxyMetrics metrics,
    UpstreamNodeNames nodeNames,
    ILogger<RiseFallHealthPolicy> logger) : IActiveHealthCheckPolicy
{
    public const string PolicyName = "RiseFall";

    private readonly ConditionalWeakTable<DestinationState, HealthStreak> _streaks = [];

    public string Name => PolicyName;

    public void ProbingCompleted(ClusterState cluster, IReadOnlyList<DestinationProbingResult> probingResults)
    {
        var settings = options.Value.HealthCheck;
        var updates = new List<NewActiveDestinationHealth>(probingResults.Count);
        foreach (var result in probingResults)
        {
            var destination = result.Destination;
            var streak = _streaks.GetOrCreateValue(destination);
            nodeNames.Record(destination.DestinationId, result.Response);
            var current = destination.Health.Active;
            var next = streak.Record(result.Response is { IsSuccessStatusCode: true }, current, settings.Rise, settings.Fall);
            if (next != current)
            {
                Log.HealthChanged(logger, destination.DestinationId, cluster.ClusterId, next.ToString(), "active", streak.Successes, streak.Failures);
                metrics.HealthChanged(cluster.ClusterId, destination.DestinationId, "active", next);
            }

            updates.Add(new NewActiveDestinationHealth(destination, next));
        }

        healthUpdater.SetActive(cluster, updates);
    }
}
