using System.Globalization;
using Foobar.Launcher.Processes;
using Foobar.Launcher.Stack;
using Npgsql;

namespace Foobar.Launcher.Postgres.Ha;

/// <summary>
/// PostgreSQL without a single point of failure, run by pg_auto_failover: a monitor and two data nodes, db-1 and db-2,
/// on consecutive ports. The first node to register becomes the primary, the other a hot standby with synchronous
/// streaming replication (the monitor sets <c>synchronous_standby_names</c>), and the monitor promotes the standby
/// when the primary fails. A watcher polls the monitor each second for the table, stack.json and the failover log.
/// </summary>
public sealed class AutoFailoverCluster : IAsyncDisposable
{
    public const string Database = PostgresProvisioner.Database;
    public static readonly string[] DataNodeNames = ["db-1", "db-2"];
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    private readonly Action<string> _output;
    private readonly bool _tuned;
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stopWatching = new();
    private IReadOnlyList<FormationNode> _formation = [];
    private DateTime _lastCheckpointNudge;
    private string? _lastPrimary;
    private Task? _watcher;

    public AutoFailoverCluster(string root, int monitorPort, AutoFailoverBinaries binaries, string logDirectory, bool tuned, Action<string> output)
    {
        _output = output;
        _tuned = tuned;
        Root = root;
        SuperUser = LocalPostgresCluster.RunningAsRoot ? AutoFailoverService.ServiceUser : Environment.UserName;
        Monitor = new AutoFailoverService("monitor", monitorPort, root, binaries, Path.Combine(logDirectory, "db-monitor.log"),
            ["create", "monitor", "--hostname", "127.0.0.1", "--listen", "127.0.0.1", "--auth", "trust", "--no-ssl", "--pgctl", binaries.PgCtl]);
        DataNodes = DataNodeNames.Select((name, i) => new AutoFailoverService(name, monitorPort + 1 + i, root, binaries, Path.Combine(logDirectory, $"{name}.log"),
        [
            "create", "postgres", "--name", name, "--hostname", "127.0.0.1", "--listen", "127.0.0.1", "--dbname", Database,
            "--monitor", MonitorUri, "--auth", "trust", "--no-ssl", "--pgctl", binaries.PgCtl,
        ])).ToList();
    }

    /// <summary>Raised after the watcher saw the formation change (states, primary, health), to rewrite stack.json.</summary>
    public event Action? Changed;

    public string Root { get; }

    public string SuperUser { get; }

    public AutoFailoverService Monitor { get; }

    public IReadOnlyList<AutoFailoverService> DataNodes { get; }

    public IEnumerable<AutoFailoverService> Services => DataNodes.Prepend(Monitor);

    public string MonitorUri => string.Create(CultureInfo.InvariantCulture, $"postgres://autoctl_node@127.0.0.1:{Monitor.Port}/pg_auto_failover?sslmode=disable");

    public IReadOnlyList<FormationNode> Formation
    {
        get
        {
            lock (_gate)
            {
                return _formation;
            }
        }
    }

    /// <summary>
    /// What the app servers use: both nodes, and Npgsql picks the one that is primary (<c>Target Session Attributes</c>),
    /// so after a promotion new connections find the new primary without a restart. Npgsql remembers a host's role for
    /// <c>Host Recheck Seconds</c> (default 10): a standby seen a moment before its promotion would be skipped that long,
    /// so the tuned setup rechecks after 1 s.
    /// </summary>
    public string AppConnectionString => AppConnectionStringFor(Monitor.Port, _tuned);

    /// <summary>The app servers' connection string for a formation whose monitor listens on <paramref name="monitorPort"/>.</summary>
    public static string AppConnectionStringFor(int monitorPort, bool tuned) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = string.Join(',', DataNodeNames.Select((_, i) => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{monitorPort + 1 + i}"))),
            Database = Database,
            Username = LocalPostgresCluster.RunningAsRoot ? AutoFailoverService.ServiceUser : Environment.UserName,
            TargetSessionAttributes = "primary",
            HostRecheckSeconds = tuned ? 1 : 10,
            Pooling = true,
        }.ConnectionString;

    public async Task StartAsync(CancellationToken ct)
    {
        Directory.CreateDirectory(Root);
        foreach (var directory in new[] { "config", "share", "run", "socket" })
        {
            Directory.CreateDirectory(Path.Combine(Root, directory));
        }

        await OwnByServiceUserAsync(Root);
        Monitor.Start();
        await WaitAsync(() => CanConnectAsync(Monitor.Port, "pg_auto_failover", ct), Monitor, "the monitor accepting connections", ct);
        if (_tuned)
        {
            await TuneMonitorAsync(ct);
        }

        Monitor.State = "running";
        StartWatching();
        if (DataNodes.All(n => n.IsCreated))
        {
            // An existing formation: all at once. After a failover db-2 may be the primary, and db-1, a standby, cannot
            // converge while db-2 is down (it waited its whole start timeout for it, one node at a time).
            foreach (var node in DataNodes)
            {
                node.Start();
            }

            Changed?.Invoke();
            await Task.WhenAll(DataNodes.Select(n => AwaitDataNodeAsync(n, tune: false, ct)));
            return;
        }

        // A new formation, one node at a time: the first to register becomes the primary, the second its standby.
        foreach (var node in DataNodes)
        {
            await StartDataNodeAsync(node, ct);
        }
    }

    public async Task StartDataNodeAsync(AutoFailoverService node, CancellationToken ct)
    {
        var created = node.IsCreated;
        node.Start();
        Changed?.Invoke();
        if (!created)
        {
            _output($"  {node.Name}: creating the node (initdb or a base backup from the primary) ...");
        }

        await AwaitDataNodeAsync(node, tune: !created, ct);
    }

    /// <summary>
    /// Waits until a started data node runs as primary or secondary and its PostgreSQL answers, then, for a node just
    /// created, applies the keeper's tuning. The tuning stays in the node's pg_autoctl.cfg, so a node that already
    /// exists is not reloaded: pg_autoctl 2.0 reloaded while its PostgreSQL was still starting signals pid -1 (seen:
    /// "Reloading pg_autoctl postgres service [-1]", and every process of the postgres user got SIGHUP, the monitor's
    /// and the other node's too).
    /// </summary>
    private async Task AwaitDataNodeAsync(AutoFailoverService node, bool tune, CancellationToken ct)
    {
        // Converged (reported == assigned): a node killed as primary still shows "primary" until it has rejoined. The
        // monitor's row may still be the one from before a restart, so the server itself must answer too.
        await WaitAsync(async () => Formation.Any(f => f.Name == node.Name && (f.IsPrimary || f.IsSecondary) && f.ReportedState == f.GoalState)
                && await CanConnectAsync(node.Port, "postgres", ct), node,
            $"{node.Name} to run as primary or secondary", ct);
        if (tune && _tuned)
        {
            foreach (var (key, value) in AutoFailoverTuning.Keeper)
            {
                await node.RunToolAsync(["config", "set", key, value.ToString(CultureInfo.InvariantCulture)], ct);
            }

            await node.RunToolAsync(["reload"], ct);
        }

        node.State = "running";
        Changed?.Invoke();
    }

    public AutoFailoverService? Find(string name) =>
        Services.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// A graceful stop of the primary hands over first (pg_auto_failover's switchover: the standby catches up, is
    /// promoted, the old primary demotes), so that stopping it costs a planned switchover instead of a failover.
    /// </summary>
    public async Task StopDataNodeAsync(AutoFailoverService node, CancellationToken ct)
    {
        // A switchover needs a settled formation: this node reporting "primary" and a healthy secondary. Right after a
        // failover or a rejoin the monitor is still converging (wait_primary -> primary), and a primary stopped then
        // leaves nothing the monitor may promote (pg_auto_failover promotes only a standby known to be in sync).
        var deadline = DateTime.UtcNow + StartTimeout;
        while (Formation.FirstOrDefault(f => f.Name == node.Name) is { IsPrimary: true } && !IsSettled(node.Name) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250, ct);
        }

        if (Formation.FirstOrDefault(f => f.Name == node.Name) is { IsPrimary: true } && IsSettled(node.Name))
        {
            _output($"  {node.Name} is the primary: switching over first ...");
            try
            {
                await using var monitor = new NpgsqlConnection(MonitorConnectionString());
                await monitor.OpenAsync(ct);
                await using var failover = new NpgsqlCommand("SELECT pgautofailover.perform_failover('default', 0)", monitor);
                await failover.ExecuteNonQueryAsync(ct);
                await WaitAsync(() => Task.FromResult(Formation.Any(f => f.Name != node.Name && f.IsPrimary)), node, "the standby's promotion", ct);
            }
            catch (Exception ex) when (ex is NpgsqlException or NodeStartException)
            {
                // e.g. the monitor is stopped: stop anyway; the monitor fails over when it is back.
                _output($"  switchover failed ({ex.Message}); stopping {node.Name} without it");
            }
        }

        await node.StopAsync();
        Changed?.Invoke();
    }

    /// <summary>The prompt's <c>kill</c>, <c>stop</c> and <c>start</c> for the monitor and the data nodes.</summary>
    public async Task<string> CommandAsync(string verb, AutoFailoverService service, CancellationToken ct)
    {
        switch (verb)
        {
            case "kill":
                await service.KillAsync();
                Changed?.Invoke();
                return string.Create(CultureInfo.InvariantCulture,
                    $"{service.Name} killed (SIGKILL to pg_autoctl and its PostgreSQL); it restarts in {AutoFailoverService.RestartDelay.TotalSeconds:0} s, as its service manager would (`stop {service.Name}` keeps it down)");
            case "stop" when service == Monitor:
                await service.StopAsync();
                Changed?.Invoke();
                return $"{service.Name} stopped gracefully (no automatic failover until it is back)";
            case "stop":
                await StopDataNodeAsync(service, ct);
                return $"{service.Name} stopped gracefully";
            case "start" when service == Monitor:
                service.Start();
                await AwaitMonitorAsync(ct);
                return $"{service.Name} is running (pid {service.Pid})";
            default:
                await StartDataNodeAsync(service, ct);
                var role = Formation.FirstOrDefault(f => f.Name == service.Name)?.ReportedState;
                return $"{service.Name} is running (pid {service.Pid}) as {role}";
        }
    }

    private bool IsSettled(string primary)
    {
        var formation = Formation;
        return formation.All(f => f.ReportedState == f.GoalState)
            && formation.Any(f => f.Name == primary && f.ReportedState == "primary")
            && formation.Any(f => f.Name != primary && f.IsSecondary && f.Health == 1);
    }

    public async Task StopAllAsync()
    {
        await _stopWatching.CancelAsync();
        // Standby first: the primary then never promotes it on the way down.
        foreach (var node in DataNodes.OrderBy(n => Formation.FirstOrDefault(f => f.Name == n.Name)?.IsPrimary == true))
        {
            await node.StopAsync();
        }

        await Monitor.StopAsync();
        if (_watcher is not null)
        {
            await _watcher.ContinueWith(_ => { }, TaskScheduler.Default);
        }

        NpgsqlConnection.ClearAllPools();
    }

    public IReadOnlyList<StackFileNode> Snapshot()
    {
        var formation = Formation;
        var primaryLsn = formation.FirstOrDefault(f => f.IsPrimary)?.ReportedLsn;
        return
        [
            .. Services.Select(s =>
            {
                var seen = formation.FirstOrDefault(f => f.Name == s.Name);
                var url = string.Create(CultureInfo.InvariantCulture, $"postgresql://127.0.0.1:{s.Port}/{(s == Monitor ? "pg_auto_failover" : Database)}");
                return new StackFileNode(s.Name, "postgres", s.Pid, [url], null, s.State)
                {
                    Replication = s == Monitor ? "monitor" : seen?.Describe() ?? "unknown",
                    LagBytes = seen is { IsPrimary: false } && primaryLsn is { } lsn ? Math.Max(0, lsn - seen.ReportedLsn) : null,
                };
            }),
        ];
    }

    public async ValueTask DisposeAsync() => await StopAllAsync();

    private void StartWatching()
    {
        var ct = _stopWatching.Token;
        _watcher = Task.Run(async () =>
        {
            while (!ct.IsCancellationRequested)
            {
                await PollAsync(ct);
                await Task.Delay(TimeSpan.FromSeconds(1), ct).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }, ct);
    }

    private async Task PollAsync(CancellationToken ct)
    {
        Supervise(ct);

        List<FormationNode> formation;
        try
        {
            formation = await ReadFormationAsync(ct);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException && !ct.IsCancellationRequested)
        {
            return; // The monitor is down (stopped or killed at the prompt): keep the last picture.
        }

        IReadOnlyList<FormationNode> before;
        lock (_gate)
        {
            before = _formation;
            _formation = formation;
        }

        // During a failover no node is primary for a few seconds; compare with the last one that was.
        if (formation.FirstOrDefault(f => f.IsPrimary)?.Name is { } primary)
        {
            if (_lastPrimary is not null && _lastPrimary != primary)
            {
                _output($"! database failover: {primary} is the primary now (was {_lastPrimary})");
            }

            _lastPrimary = primary;
        }

        if (!before.Select(f => (f.Name, f.ReportedState, f.GoalState, f.Health)).SequenceEqual(formation.Select(f => (f.Name, f.ReportedState, f.GoalState, f.Health))))
        {
            Changed?.Invoke();
        }

        await NudgeBaseBackupAsync(formation, ct);
    }

    /// <summary>
    /// The service manager's part: a service that died while wanted (a crash, or <c>kill</c> at the prompt) is started
    /// again after <see cref="AutoFailoverService.RestartDelay"/>; pg_auto_failover then rejoins an old primary as a
    /// standby by itself (pg_rewind, or a new base backup).
    /// </summary>
    private void Supervise(CancellationToken ct)
    {
        foreach (var service in Services)
        {
            switch (service.Supervise(DateTime.UtcNow))
            {
                case SupervisorStep.Scheduled:
                    if (!service.ExitExpected)
                    {
                        _output(string.Create(CultureInfo.InvariantCulture,
                            $"! {service.Name} exited with code {service.Process!.Exited.Result}; it restarts in {AutoFailoverService.RestartDelay.TotalSeconds:0} s. Last lines: {string.Join(" | ", service.Process.LastLines(3))}"));
                    }

                    Changed?.Invoke();
                    break;
                case SupervisorStep.Due:
                    _ = RestartAsync(service, ct);
                    break;
            }
        }
    }

    private async Task RestartAsync(AutoFailoverService service, CancellationToken ct)
    {
        if (!service.TryRestart())
        {
            return;
        }

        _output($"  {service.Name} restarted (pid {service.Pid})");
        Changed?.Invoke();
        try
        {
            if (service == Monitor)
            {
                await AwaitMonitorAsync(ct);
                _output($"  {service.Name} is running again");
            }
            else
            {
                await AwaitDataNodeAsync(service, tune: false, ct);
                _output($"  {service.Name} is running again as {Formation.FirstOrDefault(f => f.Name == service.Name)?.ReportedState}");
            }
        }
        catch (NodeStartException ex) when (!ct.IsCancellationRequested)
        {
            // Exited again, or never converged: the next poll schedules another restart if it is down.
            _output($"! {service.Name} did not come back: {ex.Message}");
        }
        catch (Exception ex) when (ex is OperationCanceledException or NodeStartException && ct.IsCancellationRequested)
        {
            // The Launcher is stopping.
        }
    }

    private async Task AwaitMonitorAsync(CancellationToken ct)
    {
        await WaitAsync(() => CanConnectAsync(Monitor.Port, "pg_auto_failover", ct), Monitor, "the monitor accepting connections", ct);
        Monitor.State = "running";
        Changed?.Invoke();
    }

    /// <summary>
    /// pg_basebackup (a new standby, or an old primary that cannot rewind) starts by waiting for a checkpoint, and
    /// pg_auto_failover does not ask for a fast one: a spread checkpoint took minutes here. An explicit CHECKPOINT on
    /// the primary completes the one in progress at once.
    /// </summary>
    private async Task NudgeBaseBackupAsync(IReadOnlyList<FormationNode> formation, CancellationToken ct)
    {
        if (formation.FirstOrDefault(f => f.IsPrimary) is not { } primary
            || !formation.Any(f => f.ReportedState is "wait_standby" or "catchingup" || f.GoalState is "catchingup")
            || DateTime.UtcNow - _lastCheckpointNudge < TimeSpan.FromSeconds(3))
        {
            return;
        }

        _lastCheckpointNudge = DateTime.UtcNow;
        try
        {
            await using var connection = new NpgsqlConnection(NodeConnectionString(primary.Port, "postgres"));
            await connection.OpenAsync(ct);
            await using var checkpoint = new NpgsqlCommand("CHECKPOINT", connection) { CommandTimeout = 30 };
            await checkpoint.ExecuteNonQueryAsync(ct);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException && !ct.IsCancellationRequested)
        {
            // The primary is itself in trouble; the next poll tries again.
        }
    }

    private async Task<List<FormationNode>> ReadFormationAsync(CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(MonitorConnectionString());
        await connection.OpenAsync(ct);
        await using var query = new NpgsqlCommand(
            "SELECT nodename, nodeport, reportedstate::text, goalstate::text, reportedlsn - '0/0'::pg_lsn, health FROM pgautofailover.node ORDER BY nodeid",
            connection);
        await using var reader = await query.ExecuteReaderAsync(ct);
        var nodes = new List<FormationNode>();
        while (await reader.ReadAsync(ct))
        {
            nodes.Add(new FormationNode(reader.GetString(0), reader.GetInt32(1), reader.GetString(2), reader.GetString(3), (long)reader.GetDecimal(4), reader.GetInt32(5)));
        }

        return nodes;
    }

    private async Task TuneMonitorAsync(CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(NodeConnectionString(Monitor.Port, "pg_auto_failover"));
        await connection.OpenAsync(ct);
        foreach (var (name, value) in AutoFailoverTuning.Monitor)
        {
            await using var set = new NpgsqlCommand(string.Create(CultureInfo.InvariantCulture, $"ALTER SYSTEM SET {name} = {value}"), connection);
            await set.ExecuteNonQueryAsync(ct);
        }

        await using var reload = new NpgsqlCommand("SELECT pg_reload_conf()", connection);
        await reload.ExecuteNonQueryAsync(ct);
    }

    private string MonitorConnectionString() => NodeConnectionString(Monitor.Port, "pg_auto_failover");

    private string NodeConnectionString(int port, string database) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = port,
            Database = database,
            Username = SuperUser,
            Pooling = false,
            Timeout = 2,
            CommandTimeout = 5,
        }.ConnectionString;

    private async Task<bool> CanConnectAsync(int port, string database, CancellationToken ct)
    {
        try
        {
            await using var connection = new NpgsqlConnection(NodeConnectionString(port, database));
            await connection.OpenAsync(ct);
            return true;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException && !ct.IsCancellationRequested)
        {
            return false;
        }
    }

    private static async Task WaitAsync(Func<Task<bool>> condition, AutoFailoverService service, string what, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (!await condition())
        {
            if (service.Process is { HasExited: true } process)
            {
                throw new NodeStartException(service.Name, $"exited with code {process.Exited.Result} while waiting for {what}", process.LastLines(10));
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new NodeStartException(service.Name, $"no {what} after {StartTimeout.TotalSeconds:0} s", service.Process?.LastLines(10) ?? []);
            }

            await Task.Delay(250, ct);
        }
    }

    private static async Task OwnByServiceUserAsync(string root)
    {
        if (LocalPostgresCluster.RunningAsRoot)
        {
            await using var chown = ChildProcess.Start("chown", ["-R", $"{AutoFailoverService.ServiceUser}:", root]);
            chown.CloseStandardInput();
            await chown.Exited;
            await using var chmod = ChildProcess.Start("chmod", ["0700", root]);
            chmod.CloseStandardInput();
            await chmod.Exited;
        }
    }
}
