using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Foobar.LoadBalancer.Tests.Support;
using Foobar.TestSupport;

namespace Foobar.LoadBalancer.Tests.Failover;

/// <summary>
/// lb-1 (priority 200) and lb-2 (priority 100) as real processes sharing one public HTTP and HTTPS port, electing over
/// real UDP with a shared key, the way the Launcher runs them. Each LB gets its own list of web servers. Requests go
/// through <see cref="GetAsync"/> on a new connection each time, so every answer shows who owns the port right now.
/// </summary>
internal sealed class LoadBalancerPair : IAsyncDisposable
{
    public const string Key = "failover-test-key-0123456789abcdef";

    /// <summary>How long two nodes may take to start and elect lb-1, or to settle back on it.</summary>
    public static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(15);

    private readonly string _tlsDirectory = Path.Combine(Path.GetTempPath(), $"foobar-failover-tls-{Guid.NewGuid():N}");
    private readonly Dictionary<string, IDictionary<string, string?>> _settings = [];
    private readonly Dictionary<string, int> _adminPorts = [];
    private readonly Dictionary<string, ServiceNode> _nodes = [];
    private readonly List<IAsyncDisposable> _webServers = [];

    public LoadBalancerPair(IReadOnlyList<string> lb1WebServers, IReadOnlyList<string> lb2WebServers, IDictionary<string, string?>? extra = null)
    {
        HttpPort = FreePorts.Next();
        HttpsPort = FreePorts.Next();
        int udp1 = FreePorts.NextUdp(), udp2 = FreePorts.NextUdp();
        Udp = new Dictionary<string, int> { ["lb-1"] = udp1, ["lb-2"] = udp2 };
        Add("lb-1", 200, lb1WebServers, udp1, udp2, extra);
        Add("lb-2", 100, lb2WebServers, udp2, udp1, extra);
        Client = NewConnectionClient(TimeSpan.FromSeconds(5));
        Admin = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
    }

    /// <summary>
    /// Both nodes in front of the same two web servers (web-a, web-b), which the pair stops with itself: the set-up of
    /// the tests about the load balancers. Two, because on a loaded machine a single in-process web server can be marked
    /// down by a slow forward, and the 503s that follow have nothing to do with failover.
    /// </summary>
    public static async Task<LoadBalancerPair> WithSharedWebServersAsync()
    {
        var web = await NamedUpstream.StartAsync("web-a");
        var web2 = await NamedUpstream.StartAsync("web-b");
        IReadOnlyList<string> urls = [web.Url, web2.Url];
        var pair = new LoadBalancerPair(urls, urls) { SharedWebServers = urls };
        pair._webServers.AddRange([web, web2]);
        return pair;
    }

    /// <summary>The URLs of the web servers of <see cref="WithSharedWebServersAsync"/>; empty otherwise.</summary>
    public IReadOnlyList<string> SharedWebServers { get; private init; } = [];

    public int HttpPort { get; }

    public int HttpsPort { get; }

    public Uri PublicUrl => new($"http://127.0.0.1:{HttpPort}/");

    /// <summary>Each node's election UDP port.</summary>
    public IReadOnlyDictionary<string, int> Udp { get; }

    /// <summary>A new connection per request.</summary>
    public HttpClient Client { get; }

    public HttpClient Admin { get; }

    public ServiceNode this[string name] => _nodes[name];

    public Uri AdminUrl(string name) => new($"http://127.0.0.1:{_adminPorts[name]}");

    /// <summary>Starts (or starts again, after a kill) one node and waits until its admin /status answers.</summary>
    public async Task<ServiceNode> StartAsync(string name)
    {
        if (_nodes.Remove(name, out var old))
        {
            await old.DisposeAsync();
        }

        var node = new ServiceNode("LoadBalancer", name, _settings[name], _adminPorts[name]);
        _nodes[name] = node;
        await node.StartAsync("/status", TimeSpan.FromSeconds(30));
        return node;
    }

    /// <summary>
    /// A third load balancer on the same public ports that advertises to both nodes under its own
    /// <paramref name="key"/> and <paramref name="priority"/>: with the wrong key, an intruder.
    /// </summary>
    public async Task<ServiceNode> StartExtraAsync(string name, int priority, string key, IReadOnlyList<string> webServers)
    {
        Add(name, priority, webServers, FreePorts.NextUdp(), Udp["lb-1"], null);
        _settings[name]["Election:Peers:1"] = $"127.0.0.1:{Udp["lb-2"]}";
        _settings[name]["Election:Key"] = key;
        return await StartAsync(name);
    }

    /// <summary>Changes one setting of a node before it is (re)started.</summary>
    public void Set(string name, string key, string? value) => _settings[name][key] = value;

    public async Task StartBothAsync()
    {
        await StartAsync("lb-1");
        await StartAsync("lb-2");
    }

    /// <summary>Starts both nodes and waits until lb-1, the higher priority, leads: where every failover test begins.</summary>
    public async Task StartWithLb1LeadingAsync()
    {
        await StartBothAsync();
        await WaitUntilLeadsAsync("lb-1", StartLimit);
    }

    public Task<ElectionStatus> StatusAsync(string name) => ElectionStatus.GetAsync(Admin, AdminUrl(name));

    /// <summary>GET / on the shared endpoint over a new connection: the status and the LB named in Via, or the error.</summary>
    public Task<(HttpStatusCode? Status, string? Lb, string? Error)> GetAsync() => GetAsync(Client);

    private async Task<(HttpStatusCode? Status, string? Lb, string? Error)> GetAsync(HttpClient client)
    {
        try
        {
            using var response = await client.GetAsync(PublicUrl);
            return (response.StatusCode, ViaLb(response), null);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException or SocketException)
        {
            return (null, null, ex.GetBaseException().Message);
        }
    }

    /// <summary>Which of our LBs a response passed through, from its Via header ("1.1 lb-1").</summary>
    public static string? ViaLb(HttpResponseMessage response) =>
        response.Headers.Via.Select(v => v.ReceivedBy).LastOrDefault(n => n is "lb-1" or "lb-2");

    /// <summary>
    /// Polls until <paramref name="name"/> answers on the endpoint with 200, returning how long it took. With
    /// <paramref name="tryTimeout"/> each try gives up that soon: a connection that lands on a frozen process's accept
    /// queue would otherwise hold the poll for the client's whole timeout.
    /// </summary>
    public async Task<TimeSpan> WaitUntilServedByAsync(string name, TimeSpan limit, TimeSpan? tryTimeout = null)
    {
        using var quick = tryTimeout is { } timeout ? NewConnectionClient(timeout) : null;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var (status, lb, _) = await GetAsync(quick ?? Client);
            if (status == HttpStatusCode.OK && lb == name)
            {
                return watch.Elapsed;
            }

            if (watch.Elapsed > limit)
            {
                throw new TimeoutException($"{name} did not serve the endpoint within {limit} (last: {status} via {lb}).\n{Logs()}");
            }

            await Task.Delay(10);
        }
    }

    /// <summary>Waits until <paramref name="name"/> serves the endpoint and both admin pages agree that it leads.</summary>
    public async Task WaitUntilLeadsAsync(string name, TimeSpan limit)
    {
        await WaitUntilServedByAsync(name, limit);
        await WaitUntilSettledAsync(name, limit);
    }

    /// <summary>Waits until both admin pages agree that <paramref name="name"/> leads and holds the endpoint.</summary>
    public async Task WaitUntilSettledAsync(string name, TimeSpan limit)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var other = name == "lb-1" ? "lb-2" : "lb-1";
        while (!((await StatusAsync(name)).Serving && (await StatusAsync(other)).State == "Backup"))
        {
            if (watch.Elapsed > limit)
            {
                throw new TimeoutException($"{name} did not settle as the leader within {limit}.\n{Logs()}");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>The last lines each LB wrote, for assertion messages.</summary>
    public string Logs() => string.Join(
        "\n",
        _nodes.Select(n => $"--- {n.Key}{(n.Value.HasExited ? " (exited)" : "")}:\n{string.Join("\n", SafeLines(n.Value))}"));

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes.Values)
        {
            await node.DisposeAsync();
        }

        foreach (var webServer in _webServers)
        {
            await webServer.DisposeAsync();
        }

        Client.Dispose();
        Admin.Dispose();
        try
        {
            Directory.Delete(_tlsDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
        catch (UnauthorizedAccessException)
        {
            // Best effort.
        }
    }

    /// <summary>A client that opens a new connection for every request (ConnectTimeout 2 s), so each answer shows who owns the port.</summary>
    private static HttpClient NewConnectionClient(TimeSpan timeout)
    {
        var client = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero, ConnectTimeout = TimeSpan.FromSeconds(2) }) { Timeout = timeout };
        client.DefaultRequestHeaders.ConnectionClose = true;
        return client;
    }

    private static IEnumerable<string> SafeLines(ServiceNode node)
    {
        try
        {
            return node.Process.LastLines(40);
        }
        catch (InvalidOperationException)
        {
            return [];
        }
    }

    private void Add(string name, int priority, IReadOnlyList<string> webServers, int udp, int peerUdp, IDictionary<string, string?>? extra)
    {
        var admin = FreePorts.Next();
        var settings = LoadBalancerProcess.Settings(webServers, admin, HttpPort, HttpsPort, _tlsDirectory);
        settings["Election:Enabled"] = "true";
        settings["Election:Priority"] = priority.ToString(CultureInfo.InvariantCulture);
        settings["Election:Bind"] = $"127.0.0.1:{udp}";
        settings["Election:Peers:0"] = $"127.0.0.1:{peerUdp}";
        settings["Election:Key"] = Key;

        // The election's acquire/release/drain lines, for the assertion messages.
        settings["Serilog:MinimumLevel:Override:Foobar.LoadBalancer.Election"] = "Information";
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        _settings[name] = settings;
        _adminPorts[name] = admin;
    }
}
