using System.Collections.Concurrent;
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
    private readonly ConcurrentDictionary<string, bool> _servers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _standbys = new(StringComparer.Ordinal);
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
        // prometheus-net keeps a label set it no longer hears about at its last value for 5 minutes (MetricsExpireAfter):
        // an old primary would still say 1, a gone standby its last lag. So every server and standby ever seen is
        // reported at each collection: 0 for a server that is not the primary, NaN for a lag that is not known now.
        meter.CreateObservableGauge("foobar.db.primary", () => _servers.Keys.Select(server => new Measurement<int>(
                Current is { Error: null, Primary: { } primary } && primary == server ? 1 : 0, new KeyValuePair<string, object?>("server", server))),
            description: "1 for the server that answers as primary, 0 for every other server this app server has seen as primary (all 0: none answers).");
        meter.CreateObservableGauge("foobar.db.replication.lag", () => Lags(s => s.LagBytes),
            unit: "By", description: "Bytes of WAL a standby has not replayed yet, per pg_stat_replication on the primary (NaN: not replicating now, or not visible to this role).");
        meter.CreateObservableGauge("foobar.db.replication.replay_lag", () => Lags(s => s.ReplayLagSeconds),
            unit: "s", description: "Seconds between a commit on the primary and its replay on a standby (pg_stat_replication.replay_lag; NaN once an idle standby has caught up).");
        meter.CreateObservableGauge("foobar.db.replication.sync_standbys", () => Current.Primary is null ? Array.Empty<Measurement<int>>() : [new Measurement<int>(Current.Standbys.Count(s => s.SyncState is "sync" or "quorum"))],
            description: "Standbys that acknowledge commits synchronously; 0 means a primary loss can lose acknowledged writes.");
    }

    public DatabaseTopology Current => Volatile.Read(ref _current);

    private IEnumerable<Measurement<double>> Lags(Func<DatabaseStandby, double?> lag)
    {
        var standbys = Current.Standbys;
        return _standbys.Keys.Select(name => new Measurement<double>(
            standbys.FirstOrDefault(s => s.Name == name) is { } standby && lag(standby) is { } value ? value : double.NaN,
            new KeyValuePair<string, object?>("standby", name)));
    }

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

            if (primary is not null)
            {
                _servers.TryAdd(primary, true);
            }

            foreach (var standby in standbys)
            {
                _standbys.TryAdd(standby.Name, true);
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
