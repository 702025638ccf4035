namespace Foobar.Launcher.Postgres.Ha;

/// <summary>
/// How fast pg_auto_failover declares a primary dead and promotes its standby. The tool's defaults (health check every
/// 5 s, a node unhealthy after 20 s without a report, then 30 s for the old primary to demote itself) gave a write
/// outage of about 50 s for a kill -9 of the primary's machine (measured here, docs/database-ha.md). These settings,
/// applied to the monitor with ALTER SYSTEM at every start and to each keeper with <c>pg_autoctl config set</c> when it
/// is created (its pg_autoctl.cfg keeps them), bring it to a few seconds on one host. The keeper's
/// network_partition_timeout stays below the monitor's primary_demote_timeout: a primary that is only cut off demotes
/// itself before the monitor promotes the standby (pg_auto_failover's failover documentation).
/// </summary>
public static class AutoFailoverTuning
{
    /// <summary>Monitor settings (milliseconds), <c>pgautofailover.*</c>.</summary>
    public static readonly IReadOnlyDictionary<string, int> Monitor = new Dictionary<string, int>
    {
        ["pgautofailover.health_check_period"] = 1000,
        ["pgautofailover.health_check_timeout"] = 1000,
        ["pgautofailover.health_check_max_retries"] = 1,
        ["pgautofailover.health_check_retry_delay"] = 500,
        ["pgautofailover.node_considered_unhealthy_timeout"] = 3000,
        ["pgautofailover.primary_demote_timeout"] = 5000,
    };

    /// <summary>Keeper settings (seconds), <c>pg_autoctl config set</c> keys.</summary>
    public static readonly IReadOnlyDictionary<string, int> Keeper = new Dictionary<string, int>
    {
        ["timeout.network_partition_timeout"] = 3,
    };
}
