namespace Foobar.AppServer.Database;

/// <summary>One row of the primary's <c>pg_stat_replication</c>; lag columns need superuser or <c>pg_monitor</c> (null otherwise).</summary>
internal sealed record DatabaseStandby(string Name, string? Address, string SyncState, long? LagBytes, double? ReplayLagSeconds);
