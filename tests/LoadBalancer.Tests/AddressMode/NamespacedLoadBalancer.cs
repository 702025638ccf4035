using System.Globalization;
using Foobar.Launcher.Processes;
using Foobar.LoadBalancer.Tests.Failover;
using Foobar.LoadBalancer.Tests.Support;
using Foobar.TestSupport;

namespace Foobar.LoadBalancer.Tests.AddressMode;

/// <summary>
/// The load balancer as a real process inside a lab namespace (<c>ip netns exec</c> execs it, so the pid is the
/// load balancer's own), in <c>address</c> mode: it adds the virtual IP to its eth0 when Master. Its admin listener is
/// on the namespace's loopback, read through a socket made in that namespace.
/// </summary>
internal sealed class NamespacedLoadBalancer : IAsyncDisposable
{
    public const int AdminPort = 9100;
    public const int ElectionPort = 9201;
    public const int HttpPort = 8080;
    public const string Key = "address-mode-test-key-0123456789";

    private readonly Dictionary<string, string?> _environment;
    private readonly HttpClient _admin;
    private ChildProcess? _process;

    public NamespacedLoadBalancer(NetworkLab lab, string name, int priority, string peerElectionAddress, string ownElectionAddress, string virtualAddress, string webServer, string tlsDirectory, IReadOnlyDictionary<string, string?>? extraSettings = null)
    {
        Name = name;
        Namespace = lab.Namespace(name);
        _admin = NamespaceSocket.HttpClient(Namespace, TimeSpan.FromSeconds(5));
        var settings = LoadBalancerProcess.Settings([webServer], AdminPort, HttpPort, HttpPort + 363, tlsDirectory);
        settings["Public:HttpUrl"] = $"http://{virtualAddress}:{HttpPort}";
        settings["Public:HttpsUrl"] = $"https://{virtualAddress}:{HttpPort + 363}";
        settings["Routing:Hosts:0"] = virtualAddress;
        settings["Election:Enabled"] = "true";
        settings["Election:Mode"] = "address";
        settings["Election:VirtualAddress"] = $"{virtualAddress}/24";
        settings["Election:Interface"] = "eth0";
        settings["Election:Priority"] = priority.ToString(CultureInfo.InvariantCulture);
        settings["Election:Bind"] = $"{ownElectionAddress}:{ElectionPort}";
        settings["Election:Peers:0"] = $"{peerElectionAddress}:{ElectionPort}";
        settings["Election:Key"] = Key;
        settings["Serilog:MinimumLevel:Override:Foobar.LoadBalancer.Election"] = "Information";
        foreach (var (key, value) in extraSettings ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        _environment = new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["Node__Name"] = name,
            [Foobar.ServiceDefaults.ServiceEnvironment.StopOnStdinEofVariable] = "1",
        };
        foreach (var (key, value) in settings)
        {
            _environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }
    }

    public string Name { get; }

    public string Namespace { get; }

    public int Pid => _process?.Pid ?? throw new InvalidOperationException($"{Name} is not started");

    public bool HasExited => _process?.HasExited ?? true;

    /// <param name="timeout">How long it may take to answer <c>/status</c>.</param>
    /// <param name="throttle">A CPU share to start it in (a slow fresh process), or null.</param>
    public async Task StartAsync(TimeSpan timeout, CpuThrottle? throttle = null)
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }

        // From its own directory, so that its content root holds its own appsettings.json (see ServiceNode.Launch).
        var dll = RepoPaths.ServiceDll("LoadBalancer");
        _process = ChildProcess.Start("ip", ["netns", "exec", Namespace, "dotnet", dll], _environment, workingDirectory: Path.GetDirectoryName(dll));
        throttle?.Add(_process.Pid);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with {_process.Exited.Result}:\n{Logs()}");
            }

            try
            {
                await StatusAsync();
                return;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"{Name} did not answer /status within {timeout}:\n{Logs()}");
                }

                await Task.Delay(100);
            }
        }
    }

    public Task<ElectionStatus> StatusAsync() => ElectionStatus.GetAsync(_admin, new Uri($"http://127.0.0.1:{AdminPort}"));

    /// <summary>The whole admin <c>/status</c> in the load balancer's own types (the election snapshot with its witness).</summary>
    public Task<Foobar.LoadBalancer.Admin.StatusResponse> FullStatusAsync() => AdminStatus.GetAsync(_admin, new Uri($"http://127.0.0.1:{AdminPort}"));

    public void Kill() => _process?.Kill();

    public Task StopAsync() => _process?.StopAsync(TimeSpan.FromSeconds(20)) ?? Task.CompletedTask;

    public string Logs() => _process is null ? "" : string.Join("\n", _process.LastLines(40));

    /// <summary>The current process's last 200 log lines (compact JSON, one event a line), oldest first.</summary>
    public IReadOnlyList<string> LogLines() => _process?.LastLines(200) ?? [];

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            if (!_process.HasExited)
            {
                // A frozen process ignores SIGTERM until it runs again.
                ProcessSignal.Resume(_process.Pid);
            }

            await _process.DisposeAsync();
        }

        _admin.Dispose();
    }
}
