using Foobar.LoadBalancer.Election;
using Foobar.LoadBalancer.Election.Health;
using Foobar.Proxy;

namespace Foobar.LoadBalancer.WebCluster;

/// <summary>The election's health tracking (keepalived's track_script): a node with no web server to send to should not lead.</summary>
internal sealed class WebClusterElectionHealth(ProxyCluster cluster) : IElectionHealthSource
{
    public bool IsHealthy(out string? reason)
    {
        var servers = cluster.Destinations();
        if (servers.Any(s => s.Available))
        {
            reason = null;
            return true;
        }

        reason = servers.Count == 0 ? "no web servers configured" : "no web server available";
        return false;
    }
}
