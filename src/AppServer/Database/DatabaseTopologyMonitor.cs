using System.Diagnostics.Metrics;
using Npgsql;

namespace Foobar.AppServer.Database;

/// <summary>
/// Polls the primary (through the same data source as the API, so it sees what requests see) every
/// <see cref="Interval"/>: the data behind the dashboard's "which node is primary, replication lag, failovers".
/// </summary>
internal sealed partial class DatabaseTopologyMonitor : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);
    private const string Query = """
        SELECT host(inet_server_addr()) || ':' || current_setting('port'),
               application_name, host(client_addr), sync_state,
               pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint,
               EXTRACT(epoch FROM replay_lag)::float8
        FROM (SELECT 1) AS one LEFT JOIN pg_stat_replication ON true
        """;

    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeProvider _time;
    private readonly ILogger<DatabaseTopologyMonitor> _logger;
    private DatabaseTopology _current = new(null, [], 0, null, null, null);

    public DatabaseTopologyMonitor(NpgsqlDataSource dataSource, TimeProvider time, IMeterFactory meters, ILogger<DatabaseTopologyMonitor> logger)
    {
        _dataSource = dataSource;
        _time = time;
        _logger = logger;
        var meter = meters.Create("Foobar.AppServer.Database");
        // Observed, not counted on change: exported as 0 from the start, so Prometheus's increase() sees the first failover.
        meter.CreateObservableCounter("foobar.db.primary.changes", () => Current.PrimaryChanges,
            description: "Times this app server saw a different server answer as primary (failovers, switchovers).");
        meter.CreateObservableGauge("foobar.db.primary", () => Current is { Primary: { } primary } current
                ? [new Measurement<int>(current.Error is null ? 1 : 0, new KeyValuePair<string, object?>("server", primary))]
                : Array.Empty<Measurement<int>>(),
            description: "1 for the server that answers as primary; 0 for the last one that did while none answers (a failover in progress, or no primary left).");
        meter.CreateObservableGauge("foobar.db.replication.lag", () => Current.Standbys.Where(s => s.LagBytes is not null).Select(s => new Measurement<long>(s.LagBytes!.Value, new KeyValuePair<string, object?>("standby", s.Name))),
            unit: "By", description: "Bytes of WAL a standby has not replayed yet, per pg_stat_replication on the primary.");
        meter.CreateObservableGauge("foobar.db.replication.replay_lag", () => Current.Standbys.Where(s => s.ReplayLagSeconds is not null).Select(s => new Measurement<double>(s.ReplayLagSeconds!.Value, new KeyValuePair<string, object?>("standby", s.Name))),
            unit: "s", description: "Seconds between a commit on the primary and its replay on a standby (pg_stat_replication.replay_lag; absent once an idle standby has caught up).");
        meter.CreateObservableGauge("foobar.db.replication.sync_standbys", () => Current.Primary is null ? Array.Empty<Measurement<int>>() : [new Measurement<int>(Current.Standbys.Count(s => s.SyncState is "sync" or "quorum"))],
            description: "Standbys that acknowledge commits synchronously; 0 means a primary loss can lose acknowledged writes.");
    }

    public DatabaseTopology Current => Volatile.Read(ref _current);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, _time);
        try
        {
            do
            {
                await PollAsync(stoppingToken);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    private async Task PollAsync(CancellationToken ct)
    {
        var before = Current;
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(ct);
            await using var command = new NpgsqlCommand(Query, connection);
            await using var reader = await command.ExecuteReaderAsync(ct);
            string? primary = null;
            var standbys = new List<DatabaseStandby>();
            while (await reader.ReadAsync(ct))
            {
                primary = reader.IsDBNull(0) ? "local" : reader.GetString(0);
                if (!reader.IsDBNull(1))
                {
                    standbys.Add(new DatabaseStandby(
                        reader.GetString(1),
                        reader.IsDBNull(2) ? null : reader.GetString(2),
                        reader.IsDBNull(3) ? "unknown" : reader.GetString(3),
                        reader.IsDBNull(4) ? null : reader.GetInt64(4),
                        reader.IsDBNull(5) ? null : reader.GetDouble(5)));
                }
            }

            var changed = before.Primary is not null && primary is not null && before.Primary != primary;
            if (changed)
            {
                Log.PrimaryChanged(_logger, before.Primary!, primary!);
            }

            var now = _time.GetUtcNow();
            Volatile.Write(ref _current, new DatabaseTopology(primary ?? before.Primary, standbys, before.PrimaryChanges + (changed ? 1 : 0),
                changed ? now : before.LastPrimaryChange, now, null));
        }
        catch (Exception ex) when (DatabaseUnavailableExceptionHandler.IsDatabaseUnavailable(ex) || ex is NpgsqlException)
        {
            // Keep the last primary (a failover compares against it) and say why this poll failed.
            Volatile.Write(ref _current, before with { Standbys = [], CheckedAt = _time.GetUtcNow(), Error = ex.GetBaseException().Message });
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Shutting down.
        }
    }
}
