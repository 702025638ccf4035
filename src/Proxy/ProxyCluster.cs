using Foobar.Proxy.Health;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Foobar.Proxy;

/// <summary>The host's view of and handle on its upstream cluster: health per destination, and drain.</summary>
public sealed class ProxyCluster
{
    private readonly IProxyStateLookup _lookup;
    private readonly IClusterDestinationsUpdater _updater;
    private readonly DrainedDestinations _drained;
    private readonly UpstreamNodeNames _nodeNames;

    internal ProxyCluster(IProxyStateLookup lookup, IClusterDestinationsUpdater updater, DrainedDestinations drained, UpstreamNodeNames nodeNames, ProxyDefinition definition)
    {
        _nodeNames = nodeNames;
        _lookup = lookup;
        _updater = updater;
        _drained = drained;
        ClusterId = definition.ClusterId;
    }

    public string ClusterId { get; }

    /// <summary>Every destination (after DNS resolution), ordered by id.</summary>
    public IReadOnlyList<DestinationStatus> Destinations()
    {
        if (!_lookup.TryGetCluster(ClusterId, out var cluster))
        {
            return [];
        }

        var available = cluster.DestinationsState.AvailableDestinations;
        return cluster.DestinationsState.AllDestinations
            .OrderBy(d => d.DestinationId, StringComparer.Ordinal)
            .Select(d => new DestinationStatus(
                d.DestinationId,
                d.Model.Config.Address,
                Combined(d.Health),
                Name(d.Health.Active),
                Name(d.Health.Passive),
                _drained.Contains(d.DestinationId),
                available.Contains(d),
                d.ConcurrentRequestCount,
                _nodeNames.For(d.DestinationId)))
            .ToList();
    }

    /// <summary>Takes a destination out of rotation (in-flight requests finish) or puts it back. False when the id is unknown.</summary>
    public bool SetDrained(string destinationId, bool drained)
    {
        if (!_lookup.TryGetCluster(ClusterId, out var cluster)
            || !cluster.DestinationsState.AllDestinations.Any(d => d.DestinationId == destinationId))
        {
            return false;
        }

        _drained.Set(destinationId, drained);
        _updater.UpdateAvailableDestinations(cluster);
        return true;
    }

    private static string Combined(DestinationHealthState health) =>
        health.Active == DestinationHealth.Unhealthy || health.Passive == DestinationHealth.Unhealthy ? "unhealthy"
        : health.Active == DestinationHealth.Healthy ? "healthy"
        : "unknown";

    private static string Name(DestinationHealth health) => health.ToString().ToLowerInvariant();
}
