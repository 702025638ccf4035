using Foobar.LoadBalancer.Election.Protocol;

namespace Foobar.LoadBalancer.Monitoring;

/// <summary>
/// The health of each node from what the tiers say about themselves and about each other: a load balancer from its
/// election, a web server from its readiness and the load balancers' checks, an app server from its readiness and the
/// web servers' checks; PostgreSQL is <see cref="DatabaseHealth"/>.
/// </summary>
internal static class StackHealth
{
    public static (string State, string Summary, List<string> Details) Of(NodeReading reading, IReadOnlyList<NodeReading> all, Func<string, string> nameOf)
    {
        var details = new List<string>();
        var name = reading.Node.Name;
        switch (reading.Node.Role)
        {
            case "lb":
                if (!reading.Reachable)
                {
                    return ("down", $"not answering ({reading.Error})", details);
                }

                if (reading.LbStatus?.Election is not { } election)
                {
                    return ("up", "serving (no election)", details);
                }

                details.Add($"priority {election.EffectivePriority} of {election.ConfiguredPriority}");
                if (!election.Healthy)
                {
                    details.Add($"unhealthy: {election.HealthReason}");
                }

                var summary = election.State switch
                {
                    VrrpState.Master => election.HoldsEndpoint ? "leader, holds the endpoint" : "leader, endpoint not open",
                    VrrpState.Backup => "follower",
                    var other => other.ToString(),
                };
                return (election.Healthy ? "up" : "degraded", summary, details);

            case "web":
                var lbViews = all.Where(r => r.Node.Role == "lb" && r.LbStatus is not null)
                    .SelectMany(r => StackPoints.Servers(r.LbStatus!).Where(s => nameOf(s.Name) == name).Select(s => (Lb: r.Node.Name, Server: s)))
                    .ToList();
                details.AddRange(lbViews.Select(v => $"{v.Lb}: {(v.Server.State == "drain" ? "drained" : v.Server.Health)}"));
                var seenHealthy = lbViews.Count == 0 || lbViews.Any(v => v.Server.Available);
                if (!reading.Reachable)
                {
                    return (reading.Node.ManagementUrl is null ? (seenHealthy ? "up" : "down") : "down",
                        reading.Node.ManagementUrl is null ? "as the load balancer sees it" : $"not answering ({reading.Error})", details);
                }

                var ready = reading.WebStatus?.Ready == true;
                var available = reading.WebStatus?.AvailableAppServers;
                var total = reading.WebStatus?.AppServers.Count ?? 0;
                return (ready && seenHealthy ? "up" : "degraded", $"{(ready ? "ready" : "not ready")}, {available ?? 0}/{total} app servers", details);

            case "app":
                details.AddRange(all.Where(r => r.Node.Role == "web" && r.WebStatus is not null)
                    .SelectMany(r => r.WebStatus!.AppServers
                        .Where(a => nameOf(a.Id) == name)
                        .Select(a => $"{r.Node.Name}: {a.Health}")));
                if (!reading.Reachable)
                {
                    return ("down", $"not answering ({reading.Error})", details);
                }

                return reading.Ready == true ? ("up", "ready", details) : ("degraded", "not ready (its database check fails)", details);

            default:
                return ("unknown", "", details);
        }
    }
}
