namespace Foobar.Launcher.Postgres.Ha;

/// <summary>
/// One data node as the pg_auto_failover monitor sees it (<c>pgautofailover.node</c>): the state its keeper last
/// reported, the state the monitor assigned, the WAL position it reported and the monitor's health check result.
/// </summary>
public sealed record FormationNode(string Name, int Port, string ReportedState, string GoalState, long ReportedLsn, int Health)
{
    /// <summary>
    /// Accepts writes and keeps doing so: a primary state reported and assigned. A killed primary's last report stays
    /// "primary" while the monitor assigns it "demoted", so the assigned state decides.
    /// </summary>
    public bool IsPrimary => IsPrimaryState(ReportedState) && IsPrimaryState(GoalState);

    /// <summary>For people: the reported state, and where the monitor is taking it when that differs.</summary>
    public string Describe() => ReportedState == GoalState ? ReportedState : $"{ReportedState}, assigned {GoalState}";

    private static bool IsPrimaryState(string state) => state is "single" or "primary" or "wait_primary" or "join_primary" or "apply_settings";

    public bool IsSecondary => ReportedState == "secondary";
}
