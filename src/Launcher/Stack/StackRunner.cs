using Foobar.Launcher.Postgres;
using Foobar.Launcher.Postgres.Ha;
using Foobar.Launcher.Processes;

namespace Foobar.Launcher.Stack;

/// <summary>
/// Starts, watches and stops the nodes of a <see cref="StackPlan"/> as child processes, and keeps
/// <c>stack.json</c> current. Order: app servers, web servers, load balancers; stop is the reverse.
/// </summary>
internal sealed class StackRunner : IAsyncDisposable
{
    /// <summary>The name of the local PostgreSQL cluster at the prompt and in stack.json.</summary>
    public const string PostgresName = "postgres";

    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);
    private static readonly HttpClient Probe = new() { Timeout = TimeSpan.FromSeconds(2) };
    private readonly StackPlan _plan;
    private readonly string _stackFilePath;
    private readonly string _logDirectory;
    private readonly LocalPostgresCluster? _postgres;
    private readonly string _postgresUrl;
    private readonly Action<string> _output;
    private readonly Lock _gate = new();
    private NodeState _postgresState;
    private readonly Lock _writeGate = new();
    private readonly List<Func<StackFileNode>> _attached = [];
    private bool _ready;

    public StackRunner(StackPlan plan, string dataDirectory, LocalPostgresCluster? postgres, string postgresUrl, Action<string> output)
    {
        _plan = plan;
        _postgres = postgres;
        _postgresUrl = postgresUrl;
        _output = output;
        _stackFilePath = Path.Combine(dataDirectory, "stack.json");
        _logDirectory = Path.Combine(dataDirectory, "logs");
        Nodes = plan.Nodes.Select(spec => new RunningNode(spec)).ToList();
        _postgresState = postgres is { IsRunning: true } ? NodeState.Running : NodeState.Stopped;
    }

    public IReadOnlyList<RunningNode> Nodes { get; }

    /// <summary>With <c>--db-ha</c>: the pg_auto_failover formation (monitor, db-1, db-2) instead of one PostgreSQL.</summary>
    public AutoFailoverCluster? DatabaseHa { get; init; }

    public string StackFilePath => _stackFilePath;

    /// <summary>Starts every node tier by tier, each tier in parallel, and waits until all are ready.</summary>
    public async Task StartAllAsync(CancellationToken ct)
    {
        WriteStackFile();
        foreach (var role in new[] { NodeRole.App, NodeRole.Web, NodeRole.Lb })
        {
            await Task.WhenAll(Nodes.Where(n => n.Spec.Role == role).Select(n => StartNodeAsync(n, ct)));
        }

        var balancers = Nodes.Where(n => n.Spec.Role == NodeRole.Lb).ToList();
        if (balancers.Count > 1)
        {
            await ElectionSettling.WaitAsync(balancers.Select(n => n.Spec.AdminUrl!).ToList(), Probe, ReadyTimeout, ct);
        }

        await PollUntilOkAsync($"{_plan.Endpoint}/", "endpoint", starting: null, balancers[0].Process, $"{_plan.Endpoint} did not answer", ct);
        _ready = true;
        WriteStackFile();
    }

    /// <summary>A process the Launcher runs beside the stack (e.g. prometheus), listed in the table and stack.json.</summary>
    public void Attach(Func<StackFileNode> describe)
    {
        lock (_gate)
        {
            _attached.Add(describe);
        }

        WriteStackFile();
    }

    public RunningNode? Find(string name) => Nodes.FirstOrDefault(n => string.Equals(n.Spec.Name, name, StringComparison.OrdinalIgnoreCase));

    public async Task StartNodeAsync(RunningNode node, CancellationToken ct)
    {
        if (node.Pid is not null)
        {
            throw new InvalidOperationException($"{node.Spec.Name} is already running (pid {node.Pid})");
        }

        lock (_gate)
        {
            node.ExitExpected = false;
            node.State = NodeState.Starting;
            var dll = ServicePaths.Dll(node.Spec.Project, _plan.Options.Configuration);
            // Started from its own directory, a service finds its appsettings.json (the content root is the working directory).
            node.Process = ChildProcess.Start(
                "dotnet",
                [dll],
                node.Spec.Environment().Variables,
                logFile: Path.Combine(_logDirectory, $"{node.Spec.Name}.log"),
                workingDirectory: Path.GetDirectoryName(dll));
        }

        var process = node.Process;
        _ = process.Exited.ContinueWith(t => OnExited(node, process, t.Result), TaskScheduler.Default);
        WriteStackFile();
        await PollUntilOkAsync(node.Spec.ReadyUrl, node.Spec.Name, process, process, $"not ready at {node.Spec.ReadyUrl}", ct);
        lock (_gate)
        {
            node.State = NodeState.Running;
        }

        WriteStackFile();
    }

    /// <summary>Graceful stop: SIGTERM, in-flight requests finish, SIGKILL after 20 s.</summary>
    public async Task StopNodeAsync(RunningNode node)
    {
        if (node.Process is not { HasExited: false } process)
        {
            return;
        }

        lock (_gate)
        {
            node.ExitExpected = true;
            node.State = NodeState.Stopping;
        }

        WriteStackFile();
        await process.StopAsync(TimeSpan.FromSeconds(20));
        lock (_gate)
        {
            node.State = NodeState.Stopped;
        }

        WriteStackFile();
    }

    /// <summary>SIGKILL, as an operator pulling the plug.</summary>
    public async Task KillNodeAsync(RunningNode node)
    {
        if (node.Process is not { HasExited: false } process)
        {
            return;
        }

        lock (_gate)
        {
            node.ExitExpected = true;
        }

        process.Kill();
        await process.Exited.WaitAsync(TimeSpan.FromSeconds(10));
        lock (_gate)
        {
            node.State = NodeState.Killed;
        }

        WriteStackFile();
    }

    /// <summary>Stops everything in reverse order: load balancers, web, app, then PostgreSQL.</summary>
    public async Task StopAllAsync()
    {
        _ready = false;
        foreach (var role in new[] { NodeRole.Lb, NodeRole.Web, NodeRole.App })
        {
            await Task.WhenAll(Nodes.Where(n => n.Spec.Role == role).Select(StopQuietlyAsync));
        }

        if (_postgres is not null)
        {
            await _postgres.StopAsync();
            SetPostgresState(NodeState.Stopped);
        }

        if (DatabaseHa is not null)
        {
            await DatabaseHa.StopAllAsync();
        }

        WriteStackFile();
    }

    /// <summary>Starts the local cluster again after <c>stop postgres</c> or <c>kill postgres</c>, and waits until it accepts connections.</summary>
    public async Task StartPostgresAsync(CancellationToken ct)
    {
        var postgres = LocalPostgres();
        if (postgres.IsRunning)
        {
            throw new InvalidOperationException($"{PostgresName} is already running (pid {postgres.Pid})");
        }

        SetPostgresState(NodeState.Starting);
        try
        {
            await postgres.StartAsync(ct);
        }
        catch
        {
            SetPostgresState(NodeState.Stopped);
            throw;
        }

        SetPostgresState(NodeState.Running);
    }

    /// <summary>Fast shutdown of the local cluster: open transactions are aborted; the app servers answer 503 until it is back.</summary>
    public async Task StopPostgresAsync()
    {
        var postgres = LocalPostgres();
        if (!postgres.IsRunning)
        {
            return;
        }

        SetPostgresState(NodeState.Stopping);
        await postgres.StopAsync();
        SetPostgresState(NodeState.Stopped);
    }

    /// <summary>SIGKILL of the server and its backends; the next start recovers from the write-ahead log.</summary>
    public async Task KillPostgresAsync()
    {
        var postgres = LocalPostgres();
        if (!postgres.IsRunning)
        {
            return;
        }

        await postgres.KillAsync();
        SetPostgresState(NodeState.Killed);
    }

    private async Task StopQuietlyAsync(RunningNode node)
    {
        try
        {
            await StopNodeAsync(node);
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
        {
            _output($"! {node.Spec.Name} did not stop cleanly: {ex.Message}");
        }
    }

    public IReadOnlyList<StackFileNode> Snapshot()
    {
        lock (_gate)
        {
            var nodes = new List<StackFileNode>();
            if (_postgres is not null || _postgresUrl.Length > 0)
            {
                nodes.Add(new StackFileNode(PostgresName, PostgresName, _postgres?.Pid, [_postgresUrl], null,
                    _postgres is null ? "external" : RunningNode.Describe(_postgresState)));
            }

            nodes.AddRange(DatabaseHa?.Snapshot() ?? []);
            nodes.AddRange(Nodes.Select(n => new StackFileNode(
                n.Spec.Name, n.Spec.Role.ToString().ToLowerInvariant(), n.Pid, n.Spec.Urls, n.Spec.AdminUrl, n.StateText)));
            nodes.AddRange(_attached.Select(describe => describe()));
            return nodes;
        }
    }

    public void WriteStackFile()
    {
        // Nodes change state concurrently (a tier starts in parallel); one writer at a time keeps the file whole.
        lock (_writeGate)
        {
            new StackFile(_ready, _plan.Endpoint, _plan.HttpsEndpoint, Environment.ProcessId, _plan.AdminTokenFile, Snapshot())
            {
                DatabasePasswordFile = _postgres?.PasswordFile(LocalPostgresCluster.AppRole),
            }.Write(_stackFilePath);
        }
    }

    public async ValueTask DisposeAsync() => await StopAllAsync();

    private void OnExited(RunningNode node, ChildProcess process, int code)
    {
        lock (_gate)
        {
            if (!ReferenceEquals(node.Process, process))
            {
                return;
            }

            if (!node.ExitExpected)
            {
                node.State = NodeState.Exited;
                node.ExitCode = code;
                _output($"! {node.Spec.Name} exited with code {code}; `start {node.Spec.Name}` brings it back. Last lines: {LastLines(process, 3)}");
            }
        }

        WriteStackFile();
    }

    /// <summary>
    /// Polls <paramref name="url"/> until it answers 2xx. Fails at once if <paramref name="starting"/> exits, and after
    /// <see cref="ReadyTimeout"/>, with the last lines of <paramref name="logs"/>.
    /// </summary>
    private static async Task PollUntilOkAsync(string url, string name, ChildProcess? starting, ChildProcess? logs, string notReady, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + ReadyTimeout;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (starting is { HasExited: true })
            {
                throw new NodeStartException(name, $"exited with code {starting.Exited.Result} during start", starting.LastLines(10));
            }

            try
            {
                using var response = await Probe.GetAsync(url, ct);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                // Not listening yet (for the endpoint: no leader has opened it yet).
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new NodeStartException(name, $"{notReady} after {ReadyTimeout.TotalSeconds:0} s", logs?.LastLines(10) ?? []);
            }

            await Task.Delay(150, ct);
        }
    }

    private LocalPostgresCluster LocalPostgres() =>
        _postgres ?? throw new InvalidOperationException($"{PostgresName} is external (--connection-string): the Launcher does not run it");

    private void SetPostgresState(NodeState state)
    {
        lock (_gate)
        {
            _postgresState = state;
        }

        WriteStackFile();
    }

    private static string LastLines(ChildProcess process, int count) => string.Join(" | ", process.LastLines(count));
}
