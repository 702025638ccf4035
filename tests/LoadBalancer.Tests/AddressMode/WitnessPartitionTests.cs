using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Foobar.LoadBalancer.Election.Witness;
using Foobar.LoadBalancer.Tests.Support;
using Foobar.LoadBalancer.Tests.Failover;
using Foobar.TestSupport;
using Npgsql;
using Xunit.Abstractions;

namespace Foobar.LoadBalancer.Tests.AddressMode;

/// <summary>
/// <c>address</c> mode across hosts with the election witness (docs/election.md, "The witness"): lb-1 (priority 200)
/// and lb-2 (100) in their own namespaces, each reaching a real PostgreSQL through a TCP port on its own loopback
/// (<see cref="TcpRelay"/>), the lease at 2 s as docker-compose.address.yml ships it. The election link between them is
/// cut while a client polls the virtual IP; at most one host may hold the address at any moment. And lb-1, restarted as
/// slowly as on a loaded machine, takes the address back from lb-2 by a handover, never leaving it unheld (issue 13).
/// With the default lease (5 intervals, 1 s) a holder fences once a renewal is 800 ms unconfirmed, and on CI's loaded
/// 2-core machine a renewal in flight stalled that long about once in three runs of this assembly (a lone holder
/// fenced with "not confirmed for 806 ms ... (no error)"); what these tests check is what the rules give, not how
/// quick this machine's witness is, so they run with the lease a deployment across hosts is given.
/// </summary>
[Collection(FailoverCollection.Name)]
public sealed class WitnessPartitionTests(LocalClusterPostgresFixture postgres, ITestOutputHelper output) : IClassFixture<LocalClusterPostgresFixture>
{
    private const int WitnessPort = 15432;
    private static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(40);
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task ElectionLinkCut_WitnessReachableByBoth_OnlyTheLeaseHolderEverHoldsTheVipAndHealingFailsNothing()
    {
        await using var witness = await WitnessAsync();
        await using var lab = await witness.StartLabAsync();

        await using var loop = lab.Loop();
        await Task.Delay(500);
        await lab.Network.SetElectionLinkAsync("lb-1", up: false);
        var cut = Stopwatch.StartNew();

        // lb-2 hears nothing, becomes Master, asks the witness and is refused: lb-1 renews the lease every interval.
        var refusedAfter = await UntilAsync(async () =>
        {
            var lb2 = (await lab.Lb2.FullStatusAsync()).Election!;
            return lb2.State.ToString() == "Master" && lb2.Witness?.State == WitnessState.HeldByOther;
        }, TimeSpan.FromSeconds(15), "lb-2 to be Master refused by the witness", lab);
        var holders = await WatchHoldersAsync(lab, TimeSpan.FromSeconds(5));
        var lb1 = (await lab.Lb1.FullStatusAsync()).Election!;

        // With the timeline and the logs: a rehearsal's full suite once found the address on nobody for 20 of 74 samples.
        Assert.True(holders.All(h => h.SequenceEqual(["lb-1"])),
            $"the VIP's holders every 50 ms: {string.Join(" ", holders.Select(h => h.Count == 0 ? "-" : string.Join("+", h)))}\n{lab.Logs()}");
        Assert.Equal(("Master", true, WitnessState.Holding), (lb1.State.ToString(), lb1.HoldsEndpoint, lb1.Witness!.State));
        Assert.False((await lab.Lb2.FullStatusAsync()).Election!.HoldsEndpoint);

        // Healing: lb-2 hears lb-1's higher priority and steps down; lb-1 never let go.
        var healedAt = loop.Elapsed;
        await lab.Network.SetElectionLinkAsync("lb-1", up: true);
        await lab.WaitUntilSettledAsync("lb-1", StartLimit);
        var settled = loop.Elapsed - healedAt;
        await Task.Delay(300);
        await loop.StopAsync();

        output.WriteLine($"partition: lb-2 Master and refused by the witness after {refusedAfter.TotalMilliseconds:0} ms; " +
            $"{holders.Count} samples of the VIP's holders over 5 s, all [lb-1]; one Master {settled.TotalMilliseconds:0} ms after healing; " +
            $"{loop.Failures.Count} of {loop.Samples.Count} requests failed");
        Assert.True(settled < TimeSpan.FromSeconds(10), $"one master {settled.TotalMilliseconds:0} ms after healing\n{lab.Logs()}");
        Assert.True(loop.Failures.Count == 0, $"{string.Join("\n", loop.Failures.Take(10))}\n{lab.Logs()}");
        Assert.Equal(["lb-1"], await lab.VipHoldersAsync());
    }

    [Fact]
    public async Task HolderCutFromPeerAndWitness_FencesBeforeTheOtherTakesTheVipAndTakesItBackAfterHealing()
    {
        await using var witness = await WitnessAsync();
        await using var lab = await witness.StartLabAsync();

        // 3 s client timeouts, as in AddressModeTests: a SYN the outgoing holder drops while it lets go of the address is
        // retransmitted 1 s later, to the new holder; with 1 s timeouts every such SYN failed (3-4 per take-back).
        await using (var loop = lab.Loop(timeout: TimeSpan.FromSeconds(3)))
        {
            await Task.Delay(500);
            witness.Relay("lb-1").Cut = true;
            await lab.Network.SetElectionLinkAsync("lb-1", up: false);
            var cutAt = loop.Elapsed;

            // lb-1 has neither its lease nor a Backup's vote: it removes the address before the lease runs out;
            // lb-2 takes the lease once it ran out on the database's clock, then the address.
            var holders = new List<List<string>>();
            var watch = Stopwatch.StartNew();
            var servedAfter = TimeSpan.Zero;
            while (watch.Elapsed < TimeSpan.FromSeconds(20))
            {
                var now = await lab.VipHoldersAsync();
                holders.Add(now);
                if (now.SequenceEqual(["lb-2"]) && servedAfter == TimeSpan.Zero)
                {
                    servedAfter = await lab.WaitUntilServedByAsync("lb-2", TimeSpan.FromSeconds(10)) + watch.Elapsed;
                    break;
                }

                await Task.Delay(20);
            }

            var lb1 = (await lab.Lb1.FullStatusAsync()).Election!;
            output.WriteLine($"holder isolated: {holders.Count} samples, most holders at once {holders.Max(h => h.Count)}; lb-2 served {servedAfter.TotalMilliseconds:0} ms after the cut");
            Assert.All(holders, h => Assert.True(h.Count <= 1, $"[{string.Join(", ", h)}] hold the VIP at once\n{lab.Logs()}"));
            Assert.NotEqual(TimeSpan.Zero, servedAfter);
            Assert.Contains(lb1.History, t => t.From.ToString() == "Master" && t.Reason.StartsWith("fenced", StringComparison.Ordinal));

            // Healing both links: lb-1 (higher priority) takes the lease and the address back by a handover.
            var healedAt = loop.Elapsed;
            witness.Relay("lb-1").Cut = false;
            await lab.Network.SetElectionLinkAsync("lb-1", up: true);
            await lab.WaitUntilSettledAsync("lb-1", StartLimit);
            var settled = loop.Elapsed - healedAt;
            await Task.Delay(300);
            await loop.StopAsync();
            var afterHeal = loop.Samples.Where(s => s.Sent > healedAt).ToList();
            output.WriteLine($"healed: lb-1 settled as the only holder {settled.TotalMilliseconds:0} ms later; {afterHeal.Count(s => s.Status != HttpStatusCode.OK)} of {afterHeal.Count} requests failed after healing (unavailable while isolated: {loop.Samples.Count(s => s.Sent > cutAt && s.Sent < healedAt && s.Status != HttpStatusCode.OK)}; healed at {healedAt.TotalMilliseconds:0} ms)\n" +
                string.Join("\n", afterHeal.Where(s => s.Status != HttpStatusCode.OK)));
            Assert.True(settled < TimeSpan.FromSeconds(15), $"settled {settled.TotalMilliseconds:0} ms after healing\n{lab.Logs()}");
            // The take-back moves the address: what is in flight towards the old holder when the neighbours switch can
            // be reset (address mode's handover, the same with or without a witness). A take-back that ran past the
            // clients' SYN retry (issue 13: the incoming node asked the witness late; this bound was 6 meanwhile) fails
            // more; fixed, the bound is the one from before the witness again.
            var failed = afterHeal.Where(s => s.Status != HttpStatusCode.OK).ToList();
            Assert.True(failed.Count <= 3, $"{string.Join("\n", failed.Take(10))}\n{lab.Logs()}");
        }

        Assert.Equal(["lb-1"], await lab.VipHoldersAsync());
    }

    [Fact]
    public async Task HigherPriorityRestarted_WhileTheLowerHoldsTheLease_TakesTheVipBackByAHandoverWithTheVipHeldThroughout()
    {
        await using var witness = await WitnessAsync();
        await using var lab = await witness.StartLabAsync();

        // lb-1 dies; lb-2 takes the lease once it ran out, then the address.
        lab.Lb1.Kill();
        await lab.WaitUntilServedByAsync("lb-2", TimeSpan.FromSeconds(20));
        await UntilAsync(async () => (await lab.Lb2.FullStatusAsync()).Election!.Witness?.State == WitnessState.Holding, TimeSpan.FromSeconds(15), "lb-2 to hold the lease", lab);

        // lb-1 comes back as slow as a fresh process was in the rehearsal that found issue 13 (a quarter of one CPU
        // until it settled: its host start, JIT and first witness connection take seconds), under a GET loop (3 s
        // timeouts: a SYN dropped by the outgoing holder in the handover is retransmitted 1 s later, to the new one)
        // while the VIP's holders are sampled.
        using var throttle = CpuThrottle.TryCreate(0.25);
        await using var loop = lab.Loop(timeout: TimeSpan.FromSeconds(3));
        using var stopSampling = new CancellationTokenSource();
        var sampling = SampleHoldersAsync(lab, loop, stopSampling.Token);
        await Task.Delay(500);
        var restartedAt = loop.Elapsed;
        await lab.Lb1.StartAsync(StartLimit, throttle);
        await lab.WaitUntilSettledAsync("lb-1", StartLimit);
        var settled = loop.Elapsed - restartedAt;
        var throttled = throttle?.Throttled;
        throttle?.Lift();
        await Task.Delay(500);
        await stopSampling.CancelAsync();
        var holders = await sampling;
        await loop.StopAsync();

        var unheld = LongestUnheld(holders);
        var failed = loop.Samples.Where(s => s.Sent > restartedAt && s.Status != HttpStatusCode.OK).ToList();
        var events = Events(lab);
        var timeline = string.Join("\n", events.Select(e => $"{e.At:HH:mm:ss.fff} {e.Node} {e.Id} {e.Message}"));
        var lb1Events = events.Where(e => e.Node == "lb-1").ToList();
        var preempted = lb1Events.FirstOrDefault(e => e.Id == 5001 && e.Message.Contains("-> Master", StringComparison.Ordinal));
        var acquisitions = lb1Events.Where(e => e.Id == 5006 && e.Message.Contains("acquired", StringComparison.Ordinal)).ToList();
        var heldAfter = preempted is not null && acquisitions.Count > 0 ? acquisitions[0].At - preempted.At : (TimeSpan?)null;
        output.WriteLine($"take-back after lb-1's restart ({(throttle is null ? "not throttled: no writable cpu cgroup" : $"lb-1 at 25% of a CPU, held back {throttled?.TotalMilliseconds:0} ms")}): " +
            $"settled {settled.TotalMilliseconds:0} ms after the start; lb-1 held the VIP {heldAfter?.TotalMilliseconds:0} ms after becoming Master; " +
            $"{holders.Count} samples of the VIP's holders, longest without a holder {unheld.TotalMilliseconds:0} ms; {failed.Count} of {loop.Samples.Count} requests failed\n" +
            $"{string.Join("\n", failed.Take(10))}\n{timeline}");

        // The defect: lb-1 preempted long before it could take the address, lb-2 let go when its handover wait ran out
        // (nobody held the VIP for 7.2 s), and lb-1 took it as an exclusive take (or, here, fenced itself right after).
        Assert.True(settled < TimeSpan.FromSeconds(30), $"settled {settled.TotalMilliseconds:0} ms after lb-1's start\n{timeline}");
        Assert.True(acquisitions.Count == 1 && acquisitions[0].Message.Contains("(handover", StringComparison.Ordinal), $"lb-1 acquired: {string.Join("; ", acquisitions.Select(a => a.Message))}\n{timeline}");
        Assert.Contains(events, e => e.Node == "lb-2" && e.Id == 5006 && e.Message.Contains("released (handover)", StringComparison.Ordinal));
        Assert.DoesNotContain(lb1Events, e => e.Id == 5021);

        // Preempting only once ready, lb-1 holds the VIP within about a second of becoming Master at a quarter of a CPU;
        // the bound is half of lb-2's handover wait (4 x 2 s), generous for CI. The defect took 6.9-8.9 s here, and the
        // fix without its Master_Down_Timer part 3.7-6.0 s.
        Assert.True(heldAfter < TimeSpan.FromSeconds(4), $"lb-1 held the VIP {heldAfter?.TotalMilliseconds:0} ms after becoming Master\n{timeline}");

        // Generous for a loaded 2-core machine: a handover has the address on both hosts for a moment, never on neither.
        Assert.True(unheld < TimeSpan.FromSeconds(2), $"nobody held the VIP for {unheld.TotalMilliseconds:0} ms\n{timeline}");
        Assert.True(failed.Count <= 3, $"{string.Join("\n", failed.Take(10))}\n{timeline}");
        Assert.Equal(["lb-1"], await lab.VipHoldersAsync());
    }

    [Fact]
    public async Task WitnessStopped_BothHearEachOther_HolderKeepsServingButADeadHolderIsNotReplacedUntilItIsBack()
    {
        await using var witness = await WitnessAsync();
        await using var lab = await witness.StartLabAsync();

        try
        {
            await WitnessAwayAsync(lab);
        }
        finally
        {
            // The server is the class's: the next test needs it running.
            await postgres.StartServerAsync();
        }
    }

    private async Task WitnessAwayAsync(AddressLab lab)
    {
        // The witness away: lb-1 cannot renew, but lb-2 announces itself Backup, which is the second vote.
        await using (var loop = lab.Loop())
        {
            await Task.Delay(500);
            await postgres.StopServerAsync();
            await Task.Delay(2 * Lease);
            var lb1 = (await lab.Lb1.FullStatusAsync()).Election!;
            await loop.StopAsync();

            output.WriteLine($"witness stopped for {2 * Lease.TotalMilliseconds:0} ms: {loop.Failures.Count} of {loop.Samples.Count} requests failed; lb-1 witness state {lb1.Witness?.State} ({lb1.Witness?.LastError})");
            Assert.Equal(("Master", true, WitnessState.Unconfirmed), (lb1.State.ToString(), lb1.HoldsEndpoint, lb1.Witness?.State));
            Assert.Equal("Backup", (await lab.Lb2.StatusAsync()).State);
            Assert.Equal(["lb-1"], await lab.VipHoldersAsync());
            Assert.True(loop.Failures.Count == 0, $"{string.Join("\n", loop.Failures.Take(10))}\n{lab.Logs()}");
        }

        // The leader dies while the witness is away: lb-2 becomes Master but may not take the address (lb-1 might
        // only be cut off): the price of at most one holder. Once the witness is back it takes over.
        lab.Lb1.Kill();
        await UntilAsync(async () => (await lab.Lb2.StatusAsync()).State == "Master", TimeSpan.FromSeconds(15), "lb-2 to become Master", lab);
        await Task.Delay(2 * Lease);
        var waiting = (await lab.Lb2.FullStatusAsync()).Election!;
        Assert.Equal((false, WitnessState.Acquiring), (waiting.HoldsEndpoint, waiting.Witness?.State));

        var back = Stopwatch.StartNew();
        await postgres.StartServerAsync();
        var served = await lab.WaitUntilServedByAsync("lb-2", TimeSpan.FromSeconds(30));
        output.WriteLine($"witness back: lb-2 served {back.ElapsedMilliseconds} ms after the server was started again (start included)");
        Assert.Contains("lb-2", await lab.VipHoldersAsync());
        Assert.True(served < TimeSpan.FromSeconds(30));
    }

    private async Task<WitnessSetup> WitnessAsync()
    {
        // A role of its own with a password, owning a database of its own: all the load balancers need.
        var database = await postgres.CreateDatabaseAsync("witness");
        var builder = new NpgsqlConnectionStringBuilder(database);
        var role = $"lb_witness_{Guid.NewGuid():N}"[..30];
        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        await using (var connection = new NpgsqlConnection(database))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE ROLE {role} LOGIN PASSWORD '{password}'; ALTER DATABASE \"{builder.Database}\" OWNER TO {role}", connection);
            await command.ExecuteNonQueryAsync();
        }

        var upstream = new IPEndPoint(IPAddress.Loopback, builder.Port);
        var settings = new Dictionary<string, string?>
        {
            ["Election:Witness:ConnectionString"] = $"Host=127.0.0.1;Port={WitnessPort};Database={builder.Database};Username={role};Password={password};Timeout=2",
            ["Election:Witness:LeaseDuration"] = Lease.ToString("c", CultureInfo.InvariantCulture),
        };
        return new WitnessSetup(settings, upstream);
    }

    private static async Task<TimeSpan> UntilAsync(Func<Task<bool>> condition, TimeSpan limit, string what, AddressLab lab)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < limit)
        {
            try
            {
                if (await condition())
                {
                    return watch.Elapsed;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
            {
                // Restarting or busy.
            }

            await Task.Delay(20);
        }

        throw new TimeoutException($"no {what} within {limit}\n{lab.Logs()}");
    }

    /// <summary>The VIP's holders sampled every 25 ms until cancelled, each with the loop's clock.</summary>
    private static async Task<List<(TimeSpan At, List<string> Holders)>> SampleHoldersAsync(AddressLab lab, GetLoop loop, CancellationToken cancellationToken)
    {
        var samples = new List<(TimeSpan, List<string>)>();
        while (!cancellationToken.IsCancellationRequested)
        {
            samples.Add((loop.Elapsed, await lab.VipHoldersAsync()));
            // Each sample runs ip twice: every 10 ms that was a hundred processes a second on a 2-core machine.
            await Task.Delay(25, CancellationToken.None);
        }

        return samples;
    }

    /// <summary>
    /// The longest stretch without a holder, measured from the last sample with one to the next sample with one: an
    /// upper bound (it includes up to two sampling periods).
    /// </summary>
    private static TimeSpan LongestUnheld(List<(TimeSpan At, List<string> Holders)> samples)
    {
        var longest = TimeSpan.Zero;
        TimeSpan? lastHeld = null;
        var gap = false;
        foreach (var (at, holders) in samples)
        {
            if (holders.Count == 0)
            {
                gap = true;
                continue;
            }

            if (gap && lastHeld is { } before && at - before > longest)
            {
                longest = at - before;
            }

            lastHeld = at;
            gap = false;
        }

        return gap && lastHeld is { } held && samples[^1].At - held > longest ? samples[^1].At - held : longest;
    }

    /// <summary>Both load balancers' election events (ids 5000-5099) in time order: what each did and when.</summary>
    private static List<ElectionEvent> Events(AddressLab lab)
    {
        var events = new List<ElectionEvent>();
        foreach (var lb in new[] { lab.Lb1, lab.Lb2 })
        {
            foreach (var line in lb.LogLines())
            {
                try
                {
                    using var json = System.Text.Json.JsonDocument.Parse(line);
                    var root = json.RootElement;
                    if (root.TryGetProperty("EventId", out var id) && id.TryGetProperty("Id", out var number) && number.GetInt32() is >= 5000 and < 5100)
                    {
                        var at = DateTimeOffset.Parse(root.GetProperty("@t").GetString()!, CultureInfo.InvariantCulture);
                        events.Add(new ElectionEvent(at, lb.Name, number.GetInt32(), root.GetProperty("@m").GetString()!.Replace("\"", "", StringComparison.Ordinal)));
                    }
                }
                catch (System.Text.Json.JsonException)
                {
                    // Not an event (the runtime's own output).
                }
            }
        }

        return [.. events.OrderBy(e => e.At)];
    }

    private static async Task<List<List<string>>> WatchHoldersAsync(AddressLab lab, TimeSpan duration)
    {
        var samples = new List<List<string>>();
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < duration)
        {
            samples.Add(await lab.VipHoldersAsync());
            await Task.Delay(50);
        }

        return samples;
    }

    private sealed record ElectionEvent(DateTimeOffset At, string Node, int Id, string Message);

    /// <summary>The witness as both load balancers reach it: a relay in each one's namespace to the test's PostgreSQL.</summary>
    private sealed class WitnessSetup(Dictionary<string, string?> settings, IPEndPoint upstream) : IAsyncDisposable
    {
        private readonly Dictionary<string, TcpRelay> _relays = [];

        public TcpRelay Relay(string host) => _relays[host];

        public Task<AddressLab> StartLabAsync() => AddressLab.StartAsync(settings, network =>
        {
            foreach (var host in new[] { "lb-1", "lb-2" })
            {
                _relays[host] = TcpRelay.Start(network.Namespace(host), WitnessPort, upstream);
            }

            return Task.CompletedTask;
        });

        public async ValueTask DisposeAsync()
        {
            foreach (var relay in _relays.Values)
            {
                await relay.DisposeAsync();
            }
        }
    }
}
