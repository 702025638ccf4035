using Foobar.Launcher.Processes;
using Foobar.ServiceDefaults;

namespace Foobar.TestSupport;

/// <summary>
/// One of our services (AppServer, WebServer, LoadBalancer) running as a real process on loopback ports,
/// the way the Launcher runs it. Disposing stops it; <see cref="Kill"/> is an operator's kill -9.
/// </summary>
public sealed class ServiceNode : IAsyncDisposable
{
    private static readonly HttpClient Probe = new() { Timeout = TimeSpan.FromSeconds(2) };
    private readonly string _project;
    private readonly string[] _arguments;
    private readonly ServiceEnvironment _environment;
    private ChildProcess? _process;

    public ServiceNode(string project, string name, IDictionary<string, string?>? settings = null, int? port = null, params string[] arguments)
    {
        _project = project;
        Name = name;
        Port = port ?? FreePorts.Next();
        _arguments = arguments;
        _environment = new ServiceEnvironment(name).Listen([$"http://127.0.0.1:{Port}"]).Set(settings ?? new Dictionary<string, string?>());
    }

    public string Name { get; }

    public int Port { get; }

    public Uri BaseUrl => new($"http://127.0.0.1:{Port}");

    public int? Pid => _process is { HasExited: false } p ? p.Pid : null;

    public bool HasExited => _process?.HasExited ?? true;

    public ChildProcess Process => _process ?? throw new InvalidOperationException($"{Name} is not started");

    /// <summary>Starts the process and waits until <paramref name="readyPath"/> answers 200.</summary>
    public async Task<ServiceNode> StartAsync(string readyPath = "/health/ready", TimeSpan? timeout = null)
    {
        Launch();
        await WaitUntilAsync(readyPath, timeout ?? TimeSpan.FromSeconds(30));
        return this;
    }

    /// <summary>Starts the process without waiting for it.</summary>
    public ChildProcess Launch()
    {
        // From its own directory, as the Launcher starts it: the content root (the working directory) then holds this
        // service's appsettings.json, not whichever tier's copy the test project's output received last (seen: the app
        // tier reading the web tier's Metrics:PerRequest=false in a long-lived checkout).
        var dll = RepoPaths.ServiceDll(_project);
        _process = ChildProcess.Start("dotnet", [dll, .. _arguments], _environment.Variables, workingDirectory: Path.GetDirectoryName(dll));
        return _process;
    }

    public async Task WaitUntilAsync(string path, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_process!.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with {_process.Exited.Result}:\n{string.Join("\n", _process.LastLines(30))}");
            }

            try
            {
                using var response = await Probe.GetAsync(new Uri(BaseUrl, path));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{Name} not ready at {path} after {timeout}:\n{string.Join("\n", _process.LastLines(30))}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Runs the service with arguments to completion (e.g. <c>migrate</c>) and returns its exit code and output.</summary>
    public async Task<(int ExitCode, string Output)> RunToCompletionAsync(TimeSpan timeout)
    {
        var process = Launch();
        process.CloseStandardInput();
        var code = await process.Exited.WaitAsync(timeout);
        return (code, string.Join("\n", process.LastLines(200)));
    }

    public void Kill() => _process?.Kill();

    public Task StopAsync() => _process?.StopAsync(TimeSpan.FromSeconds(20)) ?? Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }
    }
}
