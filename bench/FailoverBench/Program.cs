// The failover benchmark's driver (bench/failover.sh builds it, makes the namespaces and runs it inside the client's;
// see bench/FAILOVER.md). lb-1 (priority 200) and lb-2 (100) in one mode (listen or address, see Pair). At the first
// advertisement interval, for each of kill -9, SIGSTOP, SIGTERM and a partition of the election traffic, N trials under
// two clients polling every 10 ms (one on a new connection per request, open loop; one kept alive): the unavailability
// window (the longest interval between two requests of the new-connection client that were answered within 1 s), the
// failed requests of both, and for SIGSTOP and the partition the time from SIGCONT / healing to a single owner. At every
// further interval, kill -9 and SIGSTOP again (their windows follow the interval). Then one wrk run at full load per
// interval, counting leadership changes. Prints one line per trial and a Markdown table. EVENTS (e.g. "SIGTERM")
// narrows the events; load seconds 0 skips the wrk runs.
// Usage: FailoverBench <LoadBalancer.dll> <work dir> <listen|address> <prefix> <subnet> <backend url> [trials=20] [load seconds=60] [intervals ms=200,80]
using System.Diagnostics;
using System.Globalization;
using Foobar.FailoverBench;

if (args.Length < 6)
{
    Console.Error.WriteLine("usage: FailoverBench <LoadBalancer.dll> <work dir> <listen|address> <prefix> <subnet> <backend url> [trials=20] [load seconds=60] [intervals ms=200,80]");
    return 2;
}

var (dll, work, mode, prefix, subnet, backend) = (args[0], args[1], args[2], args[3], args[4], args[5]);
var inv = CultureInfo.InvariantCulture;
var trials = args.Length > 6 ? int.Parse(args[6], inv) : 20;
var loadSeconds = args.Length > 7 ? int.Parse(args[7], inv) : 60;
var intervals = (args.Length > 8 ? args[8] : "200,80").Split(',').Select(s => TimeSpan.FromMilliseconds(int.Parse(s, inv))).ToList();
var clock = Stopwatch.StartNew();
var clockStarted = DateTimeOffset.UtcNow;
// EVENTS (e.g. "SIGTERM" or "kill -9,SIGSTOP") narrows the matrix to some events, to chase one of them.
var allScenarios = new[] { "kill -9", "SIGSTOP", "SIGTERM", "partition" };
var scenarios = Environment.GetEnvironmentVariable("EVENTS") is { Length: > 0 } picked
    ? picked.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(e => allScenarios.Single(s => s.Equals(e, StringComparison.OrdinalIgnoreCase))).ToArray()
    : allScenarios;
var results = new List<(TimeSpan Interval, string Scenario, List<TrialResult> Trials)>();

// Every event at the first interval; kill -9 and SIGSTOP, whose windows follow the interval (Master_Down_Interval), at
// every other one too, so that a shorter interval's windows are measured, not only its flaps.
foreach (var interval in intervals)
{
    var events = interval == intervals[0] ? scenarios : [.. scenarios.Where(s => s is "kill -9" or "SIGSTOP")];
    if (events.Length == 0)
    {
        continue;
    }

    using var pair = new Pair(mode, prefix, subnet, dll, backend, work, interval);
    pair.Start();
    Console.WriteLine(string.Create(inv, $"{mode} mode: lb-1 (200) and lb-2 (100) on {pair.Endpoint}, interval {interval.TotalMilliseconds:0} ms, backend {backend}, {trials} trials each; logs in {work}"));
    foreach (var scenario in events)
    {
        var list = new List<TrialResult>();
        results.Add((interval, scenario, list));
        for (var i = 1; i <= trials; i++)
        {
            var r = await RunTrialAsync(pair, scenario);
            list.Add(r);
            Console.WriteLine(string.Create(inv, $"  {mode,-7} {scenario,-9} {interval.TotalMilliseconds,3:0} ms trial {i,2}: window {r.Window,7:0} ms, failed {r.Failed} of {r.Requests}, {r.Slow} answered after > 1 s, single owner {(r.SingleOwner is { } s ? $"{s:0} ms after" : "n/a")} (load {Load()}){r.Failures}"));
        }
    }
}

var flaps = new List<string>();
foreach (var interval in loadSeconds > 0 ? intervals : [])
{
    using var pair = new Pair(mode, prefix, subnet, dll, backend, work, interval);
    pair.Start();
    await pair.SettleAsync(clock, work);
    var since = DateTimeOffset.UtcNow;
    var wrk = Process.Start(new ProcessStartInfo("wrk", ["-t2", "-c64", $"-d{loadSeconds}s", pair.Endpoint.ToString()]) { RedirectStandardOutput = true })!;
    var output = await wrk.StandardOutput.ReadToEndAsync();
    await wrk.WaitForExitAsync();
    var changes = await pair.TransitionsSinceAsync(since);
    var rate = output.Split('\n').FirstOrDefault(l => l.StartsWith("Requests/sec", StringComparison.Ordinal))?.Split(':')[1].Trim() ?? "?";
    var errors = string.Join("; ", output.Split('\n').Where(l => l.Contains("Socket errors", StringComparison.Ordinal) || l.Contains("Non-2xx", StringComparison.Ordinal)).Select(l => l.Trim()));
    flaps.Add(string.Create(inv, $"| {mode} | leadership changes, {loadSeconds} s of wrk -t2 -c64 ({rate} req/s{(errors.Length > 0 ? "; " + errors : "")}) | {Interval(interval)} | | | | | {changes} changes | {Load()} |"));
}

Console.WriteLine();
Console.WriteLine("| mode | event | interval (lb-2's Master_Down_Interval) | median window | max window | failed requests | answered after > 1 s | single owner after resume/heal (median, max) | load |");
Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
foreach (var (interval, scenario, list) in results)
{
    var windows = list.Select(r => r.Window).ToList();
    var owners = list.Where(r => r.SingleOwner is not null).Select(r => r.SingleOwner!.Value).ToList();
    var owner = owners.Count > 0 ? string.Create(inv, $"{Median(owners):0} ms, {owners.Max():0} ms") : "";
    Console.WriteLine(string.Create(inv, $"| {mode} | {scenario} ({list.Count} trials) | {Interval(interval)} | {Median(windows):0} ms | {windows.Max():0} ms | {list.Sum(r => r.Failed)} of {list.Sum(r => r.Requests)} | {list.Sum(r => r.Slow)} | {owner} | {list.Min(r => double.Parse(r.Load, inv)):0.0}-{list.Max(r => double.Parse(r.Load, inv)):0.0} |"));
}

foreach (var line in flaps)
{
    Console.WriteLine(line);
}

return 0;

// One trial: lb-1 serves, the event hits it, lb-2 serves; lb-1 comes back (restart, SIGCONT, healing) and takes the
// endpoint back by a planned handover. Every request of both clients over all of it counts.
async Task<TrialResult> RunTrialAsync(Pair pair, string scenario)
{
    await pair.SettleAsync(clock, work);
    await using var fresh = new Poller(pair.Endpoint, clock, keepAlive: false);
    await using var kept = new Poller(pair.Endpoint, clock, keepAlive: true);
    await Task.Delay(300);
    switch (scenario)
    {
        case "kill -9":
            pair.Lb1.Kill();
            await pair.Lb1.WaitForExitAsync();
            break;
        case "SIGSTOP":
            pair.Lb1.Freeze();
            break;
        case "SIGTERM":
            await pair.Lb1.TerminateAsync(TimeSpan.FromSeconds(20));
            break;
        default:
            await pair.PartitionAsync(cut: true);
            break;
    }

    var deadline = clock.Elapsed + TimeSpan.FromSeconds(15);
    while (!fresh.Samples.Any(s => s.Ok && s.Lb == "lb-2") && clock.Elapsed < deadline)
    {
        await Task.Delay(20);
    }

    await Task.Delay(1000);
    double? singleOwner = null;
    if (scenario is "SIGSTOP" or "partition")
    {
        var restored = clock.Elapsed;
        if (scenario == "SIGSTOP")
        {
            pair.Lb1.Resume();
        }
        else
        {
            await pair.PartitionAsync(cut: false);
        }

        deadline = clock.Elapsed + TimeSpan.FromSeconds(30);
        while (await pair.SingleOwnerAsync() is null && clock.Elapsed < deadline)
        {
            await Task.Delay(10);
        }

        singleOwner = (clock.Elapsed - restored).TotalMilliseconds;
    }
    else
    {
        pair.Lb1.Start();
    }

    await pair.SettleAsync(clock, work);
    await Task.Delay(300);
    await fresh.StopAsync();
    await kept.StopAsync();
    var all = fresh.Samples.Concat(kept.Samples).ToList();
    // Sent times in UTC, to be read beside the load balancers' logs (KEEP_LOGS=1).
    string At(Poller.Sample s) => (clockStarted + s.Sent).ToString("HH:mm:ss.fff", inv);
    var failures = string.Concat(fresh.Samples.Where(s => !s.Ok).Select(s => $"; new connection sent {At(s)}: {s.Outcome}")
        .Concat(kept.Samples.Where(s => !s.Ok).Select(s => $"; kept alive sent {At(s)}: {s.Outcome}")).Take(3));
    return new TrialResult(Window(fresh.Samples), all.Count(s => !s.Ok), all.Count, all.Count(s => s.Ok && s.Answered - s.Sent >= TimeSpan.FromSeconds(1)), singleOwner, Load(), failures);
}

// Largest interval between the sending of consecutive requests that were served (at once or later): the
// unavailability window for new clients. A request stuck on a frozen process until it timed out counts as failed.
static double Window(IReadOnlyList<Poller.Sample> samples)
{
    var ok = samples.Where(s => s.Ok && s.Answered - s.Sent < TimeSpan.FromSeconds(1)).Select(s => s.Sent).Order().ToList();
    return ok.Zip(ok.Skip(1)).Select(p => (p.Second - p.First).TotalMilliseconds).DefaultIfEmpty(double.NaN).Max();
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
}

// RFC 9568 6.1 for lb-2 (priority 100): 3 x interval + (256 - 100) / 256 x interval, the least a takeover waits after
// the last advertisement heard; kill -9 and SIGSTOP windows lie between it minus one interval and it, plus the bind.
static string Interval(TimeSpan interval) =>
    string.Create(CultureInfo.InvariantCulture, $"{interval.TotalMilliseconds:0} ms ({(3 * interval.TotalMilliseconds) + (156 * interval.TotalMilliseconds / 256):0} ms)");

static string Load() => File.ReadAllText("/proc/loadavg").Split(' ')[0];

internal sealed record TrialResult(double Window, int Failed, int Requests, int Slow, double? SingleOwner, string Load, string Failures);
