using System.Text.Json;

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

                if (reading.Status is not { } status || !status.TryGetProperty("election", out var election) || election.ValueKind != JsonValueKind.Object)
                {
                    return ("up", "serving (no election)", details);
                }

                var state = election.GetProperty("state").GetString();
                var holds = election.TryGetProperty("holdsEndpoint", out var h) && h.GetBoolean();
                var healthy = election.GetProperty("healthy").GetBoolean();
                details.Add($"priority {election.GetProperty("effectivePriority")} of {election.GetProperty("configuredPriority")}");
                if (!healthy && election.TryGetProperty("healthReason", out var reason))
                {
                    details.Add($"unhealthy: {reason.GetString()}");
                }

                var summary = state == "Master" ? (holds ? "leader, holds the endpoint" : "leader, endpoint not open") : state == "Backup" ? "follower" : state ?? "?";
                return (healthy ? "up" : "degraded", summary, details);

            case "web":
                var lbViews = all.Where(r => r.Node.Role == "lb" && r.Status is not null)
                    .SelectMany(r => StackPoints.Servers(r.Status!.Value).Where(s => nameOf(s.Name) == name).Select(s => (Lb: r.Node.Name, Server: s)))
                    .ToList();
                details.AddRange(lbViews.Select(v => $"{v.Lb}: {(v.Server.State == "drain" ? "drained" : v.Server.Health)}"));
                var seenHealthy = lbViews.Count == 0 || lbViews.Any(v => v.Server.Available);
                if (!reading.Reachable)
                {
                    return (reading.Node.ManagementUrl is null ? (seenHealthy ? "up" : "down") : "down",
                        reading.Node.ManagementUrl is null ? "as the load balancer sees it" : $"not answering ({reading.Error})", details);
                }

                var ready = reading.Status?.GetProperty("ready").GetBoolean() == true;
                var available = reading.Status is { } web ? StackPoints.Number(web, "availableAppServers") : null;
                var total = reading.Status is { } web2 && web2.TryGetProperty("appServers", out var apps) ? apps.GetArrayLength() : 0;
                return (ready && seenHealthy ? "up" : "degraded", $"{(ready ? "ready" : "not ready")}, {available ?? 0}/{total} app servers", details);

            case "app":
                details.AddRange(all.Where(r => r.Node.Role == "web" && r.Status is { } s && s.TryGetProperty("appServers", out _))
                    .SelectMany(r => r.Status!.Value.GetProperty("appServers").EnumerateArray()
                        .Where(a => nameOf(a.GetProperty("id").GetString()!) == name)
                        .Select(a => $"{r.Node.Name}: {a.GetProperty("health").GetString()}")));
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
