namespace Foobar.Launcher.Postgres.Ha;

/// <summary>
/// One data node as the pg_auto_failover monitor sees it (<c>pgautofailover.node</c>): the state its keeper last
/// reported, the state the monitor assigned, the WAL position it reported and the monitor's health check result.
/// </summary>
public sealed record FormationNode(string Name, int Port, string ReportedState, string GoalState, long ReportedLsn, int Health)
{
    /// <summary>pg_auto_failover's states in which a node accepts writes.</summary>
    public bool IsPrimary => ReportedState is "single" or "primary" or "wait_primary" or "join_primary" or "apply_settings";

    public bool IsSecondary => ReportedState == "secondary";
}
