using System.Globalization;
using Foobar.Launcher.Postgres;
using Foobar.Launcher.Postgres.Ha;
using Foobar.Launcher.Processes;

namespace Foobar.Launcher.Stack;

/// <summary>
/// Starts, watches and stops the nodes of a <see cref="StackPlan"/> as child processes, and keeps
/// <c>stack.json</c> current. Order: app servers, web servers, load balancers; stop is the reverse.
/// </summary>
public sealed class StackRunner : IAsyncDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);
    private static readonly HttpClient Probe = new() { Timeout = TimeSpan.FromSeconds(2) };
    private readonly StackPlan _plan;
    private readonly string _stackFilePath;
    private readonly string _logDirectory;
    private readonly LocalPostgresCluster? _postgres;
    private readonly string _postgresUrl;
    private readonly Action<string> _output;
    private readonly Lock _gate = new();
    private readonly Lock _writeGate = new();
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

        await WaitForEndpointAsync(ct);
        _ready = true;
        WriteStackFile();
    }

    public RunningNode? Find(string name) => Nodes.FirstOrDefault(n => string.Equals(n.Spec.Name, name, StringComparison.OrdinalIgnoreCase));

    public async Task StartNodeAsync(RunningNode node, CancellationToken ct)
    {
        if (node.Pid is not null)
        {
            throw new InvalidOperationException($"{node.Spec.Name} is already running (pid {node.Pid})");
        }

        var environment = new Dictionary<string, string?>
        {
            ["ASPNETCORE_URLS"] = node.Spec.Role == NodeRole.Lb ? null : string.Join(';', node.Spec.Urls),
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["Node__Name"] = node.Spec.Name,
            [ChildProcess.StopOnStdinEofVariable] = "1",
        };
        if (node.Spec.Role is NodeRole.Web or NodeRole.Lb)
        {
            // The proxies' pipelines never block: socket completions run inline instead of hopping to the
            // thread pool (measured in bench/README.md; Dockerfile.lb sets the same).
            environment["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = "1";
        }

        foreach (var (key, value) in node.Spec.Settings)
        {
            environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        lock (_gate)
        {
            node.ExitExpected = false;
            node.State = "starting";
            var dll = ServicePaths.Dll(node.Spec.Project, _plan.Options.Configuration);
            // Started from its own directory, a service finds its appsettings.json (the content root is the working directory).
            node.Process = ChildProcess.Start(
                "dotnet",
                [dll],
                environment,
                logFile: Path.Combine(_logDirectory, $"{node.Spec.Name}.log"),
                workingDirectory: Path.GetDirectoryName(dll));
        }

        var process = node.Process;
        _ = process.Exited.ContinueWith(t => OnExited(node, process, t.Result), TaskScheduler.Default);
        WriteStackFile();
        await WaitReadyAsync(node, process, ct);
        lock (_gate)
        {
            node.State = "running";
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
            node.State = "stopping";
        }

        WriteStackFile();
        await process.StopAsync(TimeSpan.FromSeconds(20));
        lock (_gate)
        {
            node.State = "stopped";
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
            node.State = "killed";
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
        }

        if (DatabaseHa is not null)
        {
            await DatabaseHa.StopAllAsync();
        }

        WriteStackFile();
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
                nodes.Add(new StackFileNode("postgres", "postgres", _postgres?.Pid, [_postgresUrl], null,
                    _postgres is null ? "external" : _postgres.IsRunning ? "running" : "stopped"));
            }

            nodes.AddRange(DatabaseHa?.Snapshot() ?? []);
            nodes.AddRange(Nodes.Select(n => new StackFileNode(
                n.Spec.Name, n.Spec.Role.ToString().ToLowerInvariant(), n.Pid, n.Spec.Urls, n.Spec.AdminUrl, n.State)));
            return nodes;
        }
    }

    public void WriteStackFile()
    {
        // Nodes change state concurrently (a tier starts in parallel); one writer at a time keeps the file whole.
        lock (_writeGate)
        {
            new StackFile(_ready, _plan.Endpoint, _plan.HttpsEndpoint, Environment.ProcessId, _plan.AdminToken, Snapshot()).Write(_stackFilePath);
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
                node.State = string.Create(CultureInfo.InvariantCulture, $"exited ({code})");
                _output($"! {node.Spec.Name} exited with code {code}; `start {node.Spec.Name}` brings it back. Last lines: {LastLines(process, 3)}");
            }
        }

        WriteStackFile();
    }

    private static async Task WaitReadyAsync(RunningNode node, ChildProcess process, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + ReadyTimeout;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                throw new NodeStartException(node.Spec.Name, $"exited with code {process.Exited.Result} during start", process.LastLines(10));
            }

            try
            {
                using var response = await Probe.GetAsync(node.Spec.ReadyUrl, ct);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                // Not listening yet.
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new NodeStartException(node.Spec.Name, $"not ready at {node.Spec.ReadyUrl} after {ReadyTimeout.TotalSeconds:0} s", process.LastLines(10));
            }

            await Task.Delay(150, ct);
        }
    }

    private async Task WaitForEndpointAsync(CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + ReadyTimeout;
        while (true)
        {
            try
            {
                using var response = await Probe.GetAsync($"{_plan.Endpoint}/", ct);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                // No leader has opened the endpoint yet.
            }

            if (DateTime.UtcNow > deadline)
            {
                var lb = Nodes.First(n => n.Spec.Role == NodeRole.Lb);
                throw new NodeStartException("endpoint", $"{_plan.Endpoint} did not answer within {ReadyTimeout.TotalSeconds:0} s", lb.Process?.LastLines(10) ?? []);
            }

            await Task.Delay(150, ct);
        }
    }

    private static string LastLines(ChildProcess process, int count) => string.Join(" | ", process.LastLines(count));
}
