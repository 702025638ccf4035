namespace Foobar.AppServer.Database;

/// <summary>
/// What this app server last saw of its database: which server answered as primary, its standbys with their sync
/// state and replication lag (from <c>pg_stat_replication</c>), and how often the primary changed (failovers).
/// Served as JSON at <c>/internal/database</c> and as <c>foobar_db_*</c> metrics.
/// </summary>
internal sealed record DatabaseTopology(
    string? Primary,
    IReadOnlyList<DatabaseStandby> Standbys,
    long PrimaryChanges,
    DateTimeOffset? LastPrimaryChange,
    DateTimeOffset? CheckedAt,
    string? Error);
