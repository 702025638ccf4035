using Foobar.LoadBalancer.Election.Protocol;

namespace Foobar.LoadBalancer.Monitoring;

/// <summary>
/// The health of each node from what the tiers say about themselves and about each other: a load balancer from its
/// election, a web server from its readiness and the load balancers' checks, an app server from its readiness and the
/// web servers' checks, PostgreSQL from the app servers' database check.
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

    /// <summary>PostgreSQL from the app servers' database health check (on their /metrics: foobar_health_..._status).</summary>
    public static DatabaseView Database(IReadOnlyList<NodeReading> all)
    {
        var checks = all.Where(r => r.Node.Role == "app" && r.Reachable)
            .Select(r => (r.Node.Name, Check: r.Metrics?.Sum("foobar_health_foobar_health_status", "check=\"database\"")))
            .Where(c => c.Check is not null)
            .ToList();
        var details = checks.Select(c => $"{c.Name}: {(c.Check >= 1 ? "reaches it" : "cannot reach it")}").ToList();
        return checks.Count == 0 ? new DatabaseView("unknown", "no app server answers", details)
            : checks.Any(c => c.Check >= 1) ? new DatabaseView(checks.All(c => c.Check >= 1) ? "up" : "degraded", "reachable from the app tier", details)
            : new DatabaseView("down", "no app server reaches it", details);
    }
}
