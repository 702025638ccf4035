// The failover benchmark (bench/failover.sh builds and runs this; see bench/FAILOVER.md). Two load balancers,
// lb-1 (priority 200) and lb-2 (100), share one endpoint in front of one backend. It measures:
//   1. kill -9 of the leader, N trials: the unavailability window seen by a client polling every 10 ms over a new
//      connection each time (last success before, first success after), then lb-1 is started again and takes back;
//   2. SIGTERM of the leader, N trials: the same window and every failed request (new-connection and keep-alive);
//   3. leadership changes during a wrk run at full load against the endpoint.
// Usage: FailoverBench <LoadBalancer.dll> <backend url> <work dir> [trials=20] [load seconds=60]
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using Foobar.FailoverBench;
using Foobar.ServiceDefaults;

if (args.Length < 3)
{
    Console.Error.WriteLine("usage: FailoverBench <LoadBalancer.dll> <backend url> <work dir> [trials=20] [load seconds=60]");
    return 2;
}

var (dll, backend, work) = (args[0], args[1], args[2]);
var trials = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 20;
var loadSeconds = args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 60;
var inv = CultureInfo.InvariantCulture;

int FreeTcp()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}

int FreeUdp()
{
    using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
    return ((IPEndPoint)socket.LocalEndPoint!).Port;
}

int httpPort = FreeTcp(), httpsPort = FreeTcp();
var adminPorts = new Dictionary<string, int> { ["lb-1"] = FreeTcp(), ["lb-2"] = FreeTcp() };
var udpPorts = new Dictionary<string, int> { ["lb-1"] = FreeUdp(), ["lb-2"] = FreeUdp() };
var key = "base64:" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
var endpoint = new Uri($"http://127.0.0.1:{httpPort}/");

// bench/loadbalancer.env's settings (Production, Warning logs, inline socket completions) come from the caller and are
// inherited. The stdin watchdog stays off: LbProcess leaves stdin inherited rather than holding a pipe open.
IReadOnlyDictionary<string, string?> Environment(string name, int priority, string peer) =>
    new ServiceEnvironment(name, stopOnStdinEof: false)
        .Set("Admin:Url", $"http://127.0.0.1:{adminPorts[name]}")
        .Set("Public:HttpUrl", $"http://127.0.0.1:{httpPort}")
        .Set("Public:HttpsUrl", $"https://127.0.0.1:{httpsPort}")
        .Set("Tls:Directory", Path.Combine(work, "tls"))
        .Set("WebServers:Destinations:0", backend)
        .Set("Election:Enabled", "true")
        .Set("Election:Priority", priority.ToString(inv))
        .Set("Election:Bind", $"127.0.0.1:{udpPorts[name]}")
        .Set("Election:Peers:0", $"127.0.0.1:{udpPorts[peer]}")
        .Set("Election:Key", key)
        .Variables;

using var lb1 = new LbProcess("lb-1", dll, Environment("lb-1", 200, "lb-2"), work);
using var lb2 = new LbProcess("lb-2", dll, Environment("lb-2", 100, "lb-1"), work);
using var probe = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero }) { Timeout = TimeSpan.FromSeconds(2) };
probe.DefaultRequestHeaders.ConnectionClose = true;
var clock = Stopwatch.StartNew();

async Task<JsonElement?> Status(string name)
{
    try
    {
        using var doc = JsonDocument.Parse(await probe.GetStringAsync(new Uri($"http://127.0.0.1:{adminPorts[name]}/status")));
        return doc.RootElement.GetProperty("election").Clone();
    }
    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException or SocketException)
    {
        return null;
    }
}

async Task<string?> ServedBy()
{
    try
    {
        using var response = await probe.GetAsync(endpoint);
        return response.StatusCode == HttpStatusCode.OK ? response.Headers.Via.Select(v => v.ReceivedBy).LastOrDefault() : null;
    }
    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException or SocketException)
    {
        return null;
    }
}

// lb-1 serves, lb-2 is a Backup that hears it, and that has held for a second.
async Task Settle()
{
    var deadline = clock.Elapsed + TimeSpan.FromSeconds(30);
    var stableSince = (TimeSpan?)null;
    while (true)
    {
        var ok = await ServedBy() == "lb-1" && await Status("lb-2") is { } s2 && s2.GetProperty("state").GetString() == "Backup"
            && await Status("lb-1") is { } s1 && !s1.GetProperty("peers").EnumerateArray().Any(p => p.GetProperty("holdsEndpoint").GetBoolean());
        stableSince = ok ? stableSince ?? clock.Elapsed : null;
        if (stableSince is { } since && clock.Elapsed - since > TimeSpan.FromSeconds(1))
        {
            return;
        }

        if (clock.Elapsed > deadline)
        {
            throw new TimeoutException($"lb-1 did not settle as the serving leader; see {work}/lb-*.log");
        }

        await Task.Delay(50);
    }
}

// Largest interval between consecutive successful answers: the unavailability window around the event.
static double Window(IReadOnlyList<Poller.Sample> samples) =>
    samples.Where(s => s.Ok).OrderBy(s => s.Answered).Select(s => s.Answered).Zip(samples.Where(s => s.Ok).OrderBy(s => s.Answered).Skip(1).Select(s => s.Answered))
        .Select(p => (p.Second - p.First).TotalMilliseconds).DefaultIfEmpty(double.NaN).Max();

async Task<(double Window, int Failed, int KeepAliveFailed, int Requests, int TakeBackFailed)> Trial(bool graceful)
{
    await Settle();
    await using var poller = new Poller(endpoint, clock, keepAlive: false);
    await using var keepAlive = new Poller(endpoint, clock, keepAlive: true);
    await Task.Delay(300);
    if (graceful)
    {
        await lb1.TerminateAsync(TimeSpan.FromSeconds(20));
    }
    else
    {
        lb1.Kill();
        await lb1.WaitForExitAsync();
    }

    var deadline = clock.Elapsed + TimeSpan.FromSeconds(10);
    while (!poller.Samples.Any(s => s.Ok && s.Lb == "lb-2") && clock.Elapsed < deadline)
    {
        await Task.Delay(20);
    }

    await Task.Delay(300);
    await poller.StopAsync();
    await keepAlive.StopAsync();
    var samples = poller.Samples;

    // lb-1 comes back and takes the endpoint back (preemption): a planned handover, counted separately.
    await using var takeBack = new Poller(endpoint, clock, keepAlive: false);
    lb1.Start();
    deadline = clock.Elapsed + TimeSpan.FromSeconds(30);
    while (!takeBack.Samples.Any(s => s.Ok && s.Lb == "lb-1") && clock.Elapsed < deadline)
    {
        await Task.Delay(20);
    }

    await Task.Delay(300);
    await takeBack.StopAsync();
    return (Window(samples), samples.Count(s => !s.Ok), keepAlive.Samples.Count(s => !s.Ok), samples.Count + keepAlive.Samples.Count, takeBack.Samples.Count(s => !s.Ok));
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
}

async Task<int> TransitionsSince(DateTimeOffset since)
{
    var total = 0;
    foreach (var name in adminPorts.Keys)
    {
        if (await Status(name) is { } s)
        {
            total += s.GetProperty("history").EnumerateArray().Count(t => t.GetProperty("at").GetDateTimeOffset() > since);
        }
    }

    return total;
}

lb1.Start();
lb2.Start();
Console.WriteLine($"lb-1 (200) and lb-2 (100) on {endpoint}, backend {backend}, {trials} trials each; logs in {work}");

var results = new Dictionary<string, List<(double Window, int Failed, int KeepAliveFailed, int Requests, int TakeBackFailed)>>();
foreach (var (label, graceful) in new[] { ("kill -9", false), ("SIGTERM", true) })
{
    results[label] = [];
    for (var i = 1; i <= trials; i++)
    {
        var r = await Trial(graceful);
        results[label].Add(r);
        Console.WriteLine(string.Create(inv, $"  {label,-8} trial {i,2}: window {r.Window,7:0.0} ms, failed {r.Failed} new-connection + {r.KeepAliveFailed} keep-alive of {r.Requests}, take-back failed {r.TakeBackFailed}"));
    }
}

// Full load: wrk against the endpoint; every new history entry on either node is a change of leadership.
await Settle();
var loadStart = DateTimeOffset.UtcNow;
var wrk = Process.Start(new ProcessStartInfo("wrk", ["-t2", "-c64", $"-d{loadSeconds}s", endpoint.ToString()]) { RedirectStandardOutput = true })!;
var wrkOutput = await wrk.StandardOutput.ReadToEndAsync();
await wrk.WaitForExitAsync();
var changes = await TransitionsSince(loadStart);
var servedAfter = await ServedBy();
var rate = wrkOutput.Split('\n').FirstOrDefault(l => l.StartsWith("Requests/sec", StringComparison.Ordinal))?.Split(':')[1].Trim() ?? "?";
var errors = string.Join("; ", wrkOutput.Split('\n').Where(l => l.Contains("Socket errors", StringComparison.Ordinal) || l.Contains("Non-2xx", StringComparison.Ordinal)).Select(l => l.Trim()));

Console.WriteLine();
Console.WriteLine("| measurement | median | max | failed requests | target |");
Console.WriteLine("|---|---|---|---|---|");
foreach (var (label, list) in results)
{
    var windows = list.Select(r => r.Window).ToList();
    var target = label == "kill -9" ? "median < 1000 ms" : "0 failed";
    Console.WriteLine(string.Create(inv, $"| {label} unavailability window ({list.Count} trials) | {Median(windows):0} ms | {windows.Max():0} ms | {list.Sum(r => r.Failed)} new-connection + {list.Sum(r => r.KeepAliveFailed)} keep-alive of {list.Sum(r => r.Requests)} | {target} |"));
}

Console.WriteLine(string.Create(inv, $"| lb-1 taking the endpoint back ({results.Values.Sum(l => l.Count)} times) | | | {results.Values.Sum(l => l.Sum(r => r.TakeBackFailed))} | 0 failed |"));
Console.WriteLine(string.Create(inv, $"| leadership changes during {loadSeconds} s of wrk -t2 -c64 ({rate} req/s{(errors.Length > 0 ? "; " + errors : "")}) | | | {changes} changes (served by {servedAfter} after) | 0 |"));
return 0;
