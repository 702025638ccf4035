using Foobar.TestSupport;

namespace Foobar.LoadBalancer.Tests.Support;

/// <summary>
/// The load balancer as a real process (the built LoadBalancer.dll) on free loopback ports: public HTTP and HTTPS, and
/// admin (the port ServiceNode waits on). Health checks are sped up so tests see transitions within a second or two.
/// </summary>
internal sealed class LoadBalancerProcess : IAsyncDisposable
{
    public const string AdminToken = "test-admin-token-0123456789";

    private LoadBalancerProcess(ServiceNode node, int httpPort, int httpsPort, string tlsDirectory)
    {
        Node = node;
        HttpPort = httpPort;
        HttpsPort = httpsPort;
        TlsDirectory = tlsDirectory;
    }

    public ServiceNode Node { get; }

    public int HttpPort { get; }

    public int HttpsPort { get; }

    public string TlsDirectory { get; }

    public Uri PublicUrl => new($"http://127.0.0.1:{HttpPort}");

    public Uri HttpsUrl => new($"https://127.0.0.1:{HttpsPort}");

    public Uri AdminUrl => Node.BaseUrl;

    public static IDictionary<string, string?> Settings(IEnumerable<string> destinations, int adminPort, int httpPort, int httpsPort, string tlsDirectory)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Admin:Url"] = $"http://127.0.0.1:{adminPort}",
            ["Admin:Token"] = AdminToken,
            ["Public:HttpUrl"] = $"http://127.0.0.1:{httpPort}",
            ["Public:HttpsUrl"] = $"https://127.0.0.1:{httpsPort}",
            ["Tls:Directory"] = tlsDirectory,
            // Fast enough to see transitions within a test, with a timeout that a cold first probe (JIT) still meets.
            ["WebServers:HealthCheck:Interval"] = "00:00:00.500",
            ["WebServers:HealthCheck:Timeout"] = "00:00:00.450",
            ["WebServers:ConnectTimeout"] = "00:00:00.500",
            ["Serilog:MinimumLevel:Default"] = "Warning",
        };
        var index = 0;
        foreach (var destination in destinations)
        {
            settings[$"WebServers:Destinations:{index++}"] = destination;
        }

        return settings;
    }

    /// <summary>
    /// Starts the process and waits until every listed destination is available and the public listeners are open
    /// (none listed: the admin port answers). The listeners open asynchronously after the admin port answers (the
    /// endpoint owner binds them), so a test that sent its first request on "admin answers" alone could be refused.
    /// </summary>
    public static async Task<LoadBalancerProcess> StartAsync(IReadOnlyCollection<string> destinations, IDictionary<string, string?>? extra = null, string? tlsDirectory = null, params string[] arguments)
    {
        int admin = FreePorts.Next(), http = FreePorts.Next(), https = FreePorts.Next();
        tlsDirectory ??= Path.Combine(Path.GetTempPath(), $"foobar-lb-tls-{Guid.NewGuid():N}");
        var settings = Settings(destinations, admin, http, https, tlsDirectory);
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        var node = new ServiceNode("LoadBalancer", $"lb-test-{admin}", settings, admin, arguments);
        var process = new LoadBalancerProcess(node, http, https, tlsDirectory);
        try
        {
            await node.StartAsync(timeout: TimeSpan.FromSeconds(30));
            if (destinations.Count > 0)
            {
                using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
                await process.WaitForAvailableAsync(client, destinations.Count, TimeSpan.FromSeconds(10));
            }
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }

        return process;
    }

    /// <summary>Waits until /status reports <paramref name="count"/> available web servers and the public listeners open.</summary>
    public async Task WaitForAvailableAsync(HttpClient client, int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var status = await AdminStatus.GetAsync(client, AdminUrl);
            var holdsEndpoint = status.Election?.HoldsEndpoint ?? true;
            if (status.AvailableServers == count && holdsEndpoint)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{status.AvailableServers} web servers available and endpoint held {holdsEndpoint} after {timeout}, expected {count} and true");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>The process's last log lines, for a failure message.</summary>
    public string Logs() => string.Join("\n", Node.Process.LastLines(30));

    public async ValueTask DisposeAsync() => await Node.DisposeAsync();
}
