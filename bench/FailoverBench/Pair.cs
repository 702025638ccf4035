using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using Foobar.ServiceDefaults;

namespace Foobar.FailoverBench;

/// <summary>
/// lb-1 (priority 200) and lb-2 (100) in one mode, on the namespaces bench/lib/netns.sh made (this driver runs in the
/// client's). <c>listen</c>: both in PREFIX-lbs sharing SUBNET.10:8080, electing over its loopback, as compose does.
/// <c>address</c>: lb-1 in PREFIX-lb1 (.11), lb-2 in PREFIX-lb2 (.12), the Master holding the virtual IP SUBNET.100.
/// </summary>
internal sealed class Pair : IDisposable
{
    private const int ElectionPort1 = 9201;
    private const int ElectionPort2 = 9202;
    private readonly string _prefix;
    private readonly string _subnet;
    private readonly Dictionary<string, Uri> _admin = [];
    private readonly HttpClient _probe;

    public Pair(string mode, string prefix, string subnet, string dll, string backend, string work, TimeSpan interval)
    {
        (Mode, _prefix, _subnet) = (mode, prefix, subnet);
        var address = mode == "address";
        var publicIp = address ? $"{subnet}.100" : $"{subnet}.10";
        Endpoint = new Uri($"http://{publicIp}:8080/");
        var key = "base64:" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var inv = CultureInfo.InvariantCulture;

        LbProcess Make(string name, int priority, string host, string bind, string peer, int adminPort)
        {
            _admin[name] = new Uri($"http://{host}:{adminPort}/status");
            var environment = new ServiceEnvironment(name, stopOnStdinEof: false)
                .Set("Admin:Url", $"http://{host}:{adminPort}")
                .Set("Public:HttpUrl", $"http://{publicIp}:8080")
                .Set("Public:HttpsUrl", $"https://{publicIp}:8443")
                .Set("Routing:Hosts:0", publicIp)
                .Set("Tls:Directory", Path.Combine(work, "tls"))
                .Set("WebServers:Destinations:0", backend)
                .Set("Election:Enabled", "true")
                .Set("Election:Priority", priority.ToString(inv))
                .Set("Election:AdvertisementInterval", interval.ToString("c", inv))
                .Set("Election:Bind", bind)
                .Set("Election:Peers:0", peer)
                .Set("Election:Key", key);
            if (address)
            {
                environment.Set("Election:Mode", "address").Set("Election:VirtualAddress", $"{publicIp}/24").Set("Election:Interface", "eth0");
            }

            return new LbProcess(name, Namespace(host), dll, environment.Variables, work);
        }

        Lb1 = address
            ? Make("lb-1", 200, $"{subnet}.11", $"{subnet}.11:{ElectionPort1}", $"{subnet}.12:{ElectionPort2}", 9101)
            : Make("lb-1", 200, $"{subnet}.10", $"127.0.0.1:{ElectionPort1}", $"127.0.0.1:{ElectionPort2}", 9101);
        Lb2 = address
            ? Make("lb-2", 100, $"{subnet}.12", $"{subnet}.12:{ElectionPort2}", $"{subnet}.11:{ElectionPort1}", 9102)
            : Make("lb-2", 100, $"{subnet}.10", $"127.0.0.1:{ElectionPort2}", $"127.0.0.1:{ElectionPort1}", 9102);
        _probe = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero, ConnectTimeout = TimeSpan.FromSeconds(1) }) { Timeout = TimeSpan.FromSeconds(2) };
        _probe.DefaultRequestHeaders.ConnectionClose = true;
    }

    public string Mode { get; }

    public Uri Endpoint { get; }

    public LbProcess Lb1 { get; }

    public LbProcess Lb2 { get; }

    public void Start()
    {
        Lb1.Start();
        Lb2.Start();
    }

    public async Task<JsonElement?> StatusAsync(string name)
    {
        try
        {
            using var doc = JsonDocument.Parse(await _probe.GetStringAsync(_admin[name]));
            return doc.RootElement.GetProperty("election").Clone();
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException or SocketException or JsonException)
        {
            return null;
        }
    }

    public async Task<string?> ServedByAsync()
    {
        try
        {
            using var response = await _probe.GetAsync(Endpoint);
            return response.StatusCode == HttpStatusCode.OK ? response.Headers.Via.Select(v => v.ReceivedBy).LastOrDefault() : null;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException or SocketException)
        {
            return null;
        }
    }

    /// <summary>Exactly one node is Master and holds the endpoint, the other is a Backup that does not; its name, or null.</summary>
    public async Task<string?> SingleOwnerAsync()
    {
        var s1 = await StatusAsync("lb-1");
        var s2 = await StatusAsync("lb-2");
        if (s1 is not { } one || s2 is not { } two)
        {
            return null;
        }

        static bool Owns(JsonElement s) => s.GetProperty("state").GetString() == "Master" && s.GetProperty("holdsEndpoint").GetBoolean();
        static bool Follows(JsonElement s) => s.GetProperty("state").GetString() == "Backup" && !s.GetProperty("holdsEndpoint").GetBoolean();
        return Owns(one) && Follows(two) ? "lb-1" : Owns(two) && Follows(one) ? "lb-2" : null;
    }

    /// <summary>Until lb-1 owns the endpoint alone and serves, stable for a second.</summary>
    public async Task SettleAsync(Stopwatch clock, string work)
    {
        var deadline = clock.Elapsed + TimeSpan.FromSeconds(60);
        TimeSpan? stableSince = null;
        while (true)
        {
            var ok = await SingleOwnerAsync() == "lb-1" && await ServedByAsync() == "lb-1";
            stableSince = ok ? stableSince ?? clock.Elapsed : null;
            if (stableSince is { } since && clock.Elapsed - since > TimeSpan.FromSeconds(1))
            {
                return;
            }

            if (clock.Elapsed > deadline)
            {
                throw new TimeoutException($"lb-1 did not settle as the only owner; see {work}/lb-*.log");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Drops (or restores) the election's UDP between the two nodes, in their namespaces: a partition.</summary>
    public async Task PartitionAsync(bool cut)
    {
        var namespaces = Mode == "address" ? new[] { Namespace($"{_subnet}.11"), Namespace($"{_subnet}.12") } : [Namespace($"{_subnet}.10")];
        foreach (var ns in namespaces)
        {
            foreach (var port in new[] { ElectionPort1, ElectionPort2 })
            {
                using var iptables = Process.Start(new ProcessStartInfo("ip", ["netns", "exec", ns, "iptables", cut ? "-I" : "-D", "INPUT", "-p", "udp", "--dport", port.ToString(CultureInfo.InvariantCulture), "-j", "DROP"]))!;
                await iptables.WaitForExitAsync();
            }
        }
    }

    /// <summary>Leadership changes recorded by either node after <paramref name="since"/>.</summary>
    public async Task<int> TransitionsSinceAsync(DateTimeOffset since)
    {
        var total = 0;
        foreach (var name in _admin.Keys)
        {
            if (await StatusAsync(name) is { } s)
            {
                total += s.GetProperty("history").EnumerateArray().Count(t => t.GetProperty("at").GetDateTimeOffset() > since);
            }
        }

        return total;
    }

    public void Dispose()
    {
        Lb1.Dispose();
        Lb2.Dispose();
        _probe.Dispose();
    }

    private string Namespace(string host) => host.EndsWith(".10", StringComparison.Ordinal) ? $"{_prefix}-lbs"
        : host.EndsWith(".11", StringComparison.Ordinal) ? $"{_prefix}-lb1" : $"{_prefix}-lb2";
}
