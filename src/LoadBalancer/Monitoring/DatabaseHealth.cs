namespace Foobar.LoadBalancer.Monitoring;

/// <summary>
/// PostgreSQL as the app tier sees it, from what every app server already exports on its /metrics: its database health
/// check, and its <c>DatabaseTopologyMonitor</c>'s view of the primary (which server answers as primary, the standbys in
/// the primary's <c>pg_stat_replication</c> with their lag). Database servers are never polled by the load balancers
/// (compose keeps them on a network the edge cannot reach); the configured ones (<c>Monitoring:Nodes</c> with role
/// <c>postgres</c>) only give their addresses names.
/// </summary>
internal static class DatabaseHealth
{
    // prometheus-net prefixes an instrument with its meter's name (Foobar.AppServer.Database, Foobar.Health).
    public const string PrimaryMetric = "foobar_appserver_database_foobar_db_primary";
    public const string LagBytesMetric = "foobar_appserver_database_foobar_db_replication_lag";
    public const string ReplayLagMetric = "foobar_appserver_database_foobar_db_replication_replay_lag";
    public const string SyncStandbysMetric = "foobar_appserver_database_foobar_db_replication_sync_standbys";
    public const string HealthMetric = "foobar_health_foobar_health_status";

    /// <param name="all">This poll's readings.</param>
    /// <param name="servers">The database servers by name (may be empty: then they are shown by address).</param>
    /// <param name="lastPrimary">The primary the previous polls saw: while app servers disagree during a failover, the other one is the newer.</param>
    public static DatabaseView Of(IReadOnlyList<NodeReading> all, IReadOnlyList<MonitoredNode> servers, string? lastPrimary)
    {
        var apps = all.Where(r => r.Node.Role == "app" && r.Reachable && r.Metrics is not null).Select(r => (r.Node.Name, Metrics: r.Metrics!)).ToList();
        // A lone configured server is the one the app tier reaches, however it reaches it (a Unix socket says "local").
        string NameOf(string address) => servers.FirstOrDefault(n => n.Url is { } url && Authority(url) == address)?.Name
            ?? (servers.Count == 1 ? servers[0].Name : address);

        var answering = apps.SelectMany(a => a.Metrics.ByLabel(PrimaryMetric, "server")).Where(s => s.Value >= 1).Select(s => NameOf(s.Label)).Distinct().ToList();
        var primary = answering.Count > 1 ? answering.FirstOrDefault(a => a != lastPrimary) ?? answering[0] : answering.FirstOrDefault();
        // NaN: a standby the app server saw before that is not replicating now (or whose lag it may not read).
        var standbys = apps.SelectMany(a => a.Metrics.ByLabel(LagBytesMetric, "standby")).Where(s => !double.IsNaN(s.Value)).GroupBy(s => s.Label, StringComparer.Ordinal)
            .Select(g => (Name: g.Key, LagBytes: (double?)g.Max(s => s.Value))).ToList();
        var replayLag = apps.SelectMany(a => a.Metrics.ByLabel(ReplayLagMetric, "standby")).Where(s => !double.IsNaN(s.Value)).GroupBy(s => s.Label, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Max(s => s.Value), StringComparer.Ordinal);
        var synchronous = apps.Select(a => a.Metrics.Sum(SyncStandbysMetric)).Max();

        var views = new List<DatabaseServerView>();
        var others = servers.Where(n => n.Name != primary).ToList();
        // pg_stat_replication names a standby by its application_name (pg_auto_failover: pgautofailover_standby_<id>),
        // not by its address: with one standby configured and one replicating, they are the same server.
        var paired = primary is not null && others.Count == 1 && (standbys.Count == 1 || (standbys.Count == 0 && synchronous >= 1));
        foreach (var server in servers)
        {
            views.Add(server.Name == primary ? new DatabaseServerView(server.Name, "primary", null, null)
                : primary is null ? new DatabaseServerView(server.Name, "unknown", null, null)
                : paired ? Standby(server.Name, standbys.FirstOrDefault().Name, standbys.FirstOrDefault().LagBytes, replayLag)
                : new DatabaseServerView(server.Name, standbys.Count == 0 ? "not replicating" : "unknown", null, null));
        }

        if (servers.Count == 0 && primary is not null)
        {
            views.Add(new DatabaseServerView(primary, "primary", null, null));
        }

        if (!paired && primary is not null && (servers.Count == 0 || others.Count != 1))
        {
            views.AddRange(standbys.Select(s => Standby(s.Name, s.Name, s.LagBytes, replayLag)));
        }

        var checks = apps.Select(a => (a.Name, Check: a.Metrics.Sum(HealthMetric, "check=\"database\""))).Where(c => c.Check is not null).ToList();
        var details = checks.Select(c => $"{c.Name}: {(c.Check >= 1 ? "reaches it" : "cannot reach it")}").ToList();
        // Only where there can be a standby: one PostgreSQL has none, and saying so on every poll is noise.
        if (primary is not null && synchronous is { } sync && views.Count > 1)
        {
            details.Add($"synchronous standbys: {sync}");
        }

        var (state, summary) = checks.Count == 0 ? ("unknown", "no app server answers")
            : !checks.Any(c => c.Check >= 1) ? ("down", primary is null && apps.Any(a => a.Metrics.Sum(PrimaryMetric) is not null) ? "no server answers as primary" : "no app server reaches it")
            : (checks.All(c => c.Check >= 1) ? "up" : "degraded", primary is null ? "reachable from the app tier" : $"primary: {primary}");
        return new DatabaseView(state, summary, details, primary, views);
    }

    private static DatabaseServerView Standby(string name, string? replicationName, double? lagBytes, Dictionary<string, double> replayLag) =>
        new(name, "standby", lagBytes, replicationName is not null && replayLag.TryGetValue(replicationName, out var seconds) ? seconds : null);

    private static string Authority(string url) => Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.Authority : url;
}
