using System.Diagnostics;
using System.Net;
using Foobar.LoadBalancer.Tests.Failover;
using Xunit.Abstractions;

namespace Foobar.LoadBalancer.Tests.AddressMode;

/// <summary>
/// <c>address</c> mode across hosts: lb-1 (priority 200) and lb-2 (priority 100) each in its own network namespace on
/// one bridge, a web server in a third and a client in a fourth that only knows the virtual IP. The Master adds the
/// address and announces it with gratuitous ARP; the client's kernel follows the announcements. Real processes, real
/// netlink and packet sockets, real ARP (docs/election.md, "address mode").
/// </summary>
[Collection(FailoverCollection.Name)]
public sealed class AddressModeTests(ITestOutputHelper output)
{
    private static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(40);

    [Fact]
    public async Task Leader_KilledRestartedThenStopped_VipMovesWithinSecondsAndOnlyOneHostHoldsIt()
    {
        await using var lab = await AddressLab.StartAsync();

        // kill -9: lb-2 adds the address and announces it; the dead process's namespace still has it (as a crashed
        // keepalived would leave it), but the client follows the announcement.
        await using (var loop = lab.Loop())
        {
            await Task.Delay(500);
            var killedAt = loop.Elapsed;
            lab.Lb1.Kill();
            var gap = await lab.WaitUntilServedByAsync("lb-2", TimeSpan.FromSeconds(15));
            Assert.True(gap < TimeSpan.FromSeconds(3), $"lb-2 served {gap.TotalMilliseconds:0} ms after kill -9\n{lab.Logs()}");
            await Task.Delay(300);
            await loop.StopAsync();
            var after = loop.Samples.Where(s => s.Sent > killedAt + gap + TimeSpan.FromMilliseconds(200)).ToList();
            Assert.All(after, s => Assert.True(s.Status == HttpStatusCode.OK && s.Lb == "lb-2", $"{s}\n{lab.Logs()}"));
        }

        // lb-1 comes back: it removes its leftover address at start, preempts and takes the address back.
        await lab.Lb1.StartAsync(StartLimit);
        await lab.WaitUntilSettledAsync("lb-1", StartLimit);
        Assert.Equal(["lb-1"], await lab.VipHoldersAsync());

        // SIGTERM: lb-1 ends keep-alive and waits for its connections to close, then sends priority 0; lb-2 adds the
        // address; lb-1 drops new SYNs, lets its last connections finish and removes the address; only then lb-2
        // announces it. Nothing fails: no connection is refused or reset (a SYN dropped in those milliseconds is
        // retransmitted 1 s later, to lb-2: hence a 3 s client timeout here).
        await using (var loop = lab.Loop(newConnectionLoops: 2, keepAliveLoops: 2, timeout: TimeSpan.FromSeconds(3)))
        {
            await Task.Delay(500);
            await lab.Lb1.StopAsync();
            await lab.WaitUntilServedByAsync("lb-2", TimeSpan.FromSeconds(15));
            await Task.Delay(1500);
            await loop.StopAsync();
            Assert.True(loop.Failures.Count == 0, $"{loop.Failures.Count} of {loop.Samples.Count} failed on SIGTERM:\n{string.Join("\n", loop.Failures.Take(10))}\n{lab.Logs()}");
            Assert.Contains(loop.Samples, s => s.KeepAlive && s.Lb == "lb-1");
            Assert.Contains(loop.Samples, s => s.KeepAlive && s.Lb == "lb-2");
        }

        Assert.Equal(["lb-2"], await lab.VipHoldersAsync());
    }

    [Fact]
    public async Task Leader_FrozenThenElectionLinkCut_ClientServedThroughoutAndOneHolderAfterEach()
    {
        await using var lab = await AddressLab.StartAsync();

        // SIGSTOP: lb-2 takes the address over, and the frozen lb-1's kernel removes its copy once the lifetime lb-1 can
        // no longer refresh runs out (2 s, whole seconds: 1.5-3 s); on SIGCONT lb-1 steps down and later takes it back.
        var gap = TimeSpan.Zero;
        var frozenHostLetGo = TimeSpan.Zero;
        await using (var loop = lab.Loop())
        {
            await Task.Delay(500);
            ProcessSignal.Freeze(lab.Lb1.Pid);
            var frozen = Stopwatch.StartNew();
            try
            {
                gap = await lab.WaitUntilServedByAsync("lb-2", TimeSpan.FromSeconds(15));
                while ((await lab.VipHoldersAsync()).Contains("lb-1") && frozen.Elapsed < TimeSpan.FromSeconds(15))
                {
                    await Task.Delay(20);
                }

                frozenHostLetGo = frozen.Elapsed;
                Assert.Equal(["lb-2"], await lab.VipHoldersAsync());
                await Task.Delay(1000);
            }
            finally
            {
                ProcessSignal.Resume(lab.Lb1.Pid);
            }

            await lab.WaitUntilSettledAsync("lb-1", StartLimit);
            await loop.StopAsync();
        }

        output.WriteLine($"SIGSTOP: lb-2 served after {gap.TotalMilliseconds:0} ms; the frozen host's kernel removed the address after {frozenHostLetGo.TotalMilliseconds:0} ms");
        Assert.True(gap < TimeSpan.FromSeconds(3), $"lb-2 served {gap.TotalMilliseconds:0} ms after SIGSTOP\n{lab.Logs()}");
        Assert.True(frozenHostLetGo < TimeSpan.FromSeconds(6), $"the frozen lb-1 still had the address {frozenHostLetGo.TotalMilliseconds:0} ms after SIGSTOP");
        Assert.Equal(["lb-1"], await lab.VipHoldersAsync());
        var lb1 = (await lab.Lb1.StatusAsync()).Election!;
        Assert.Contains(lb1.History, t => t.From == "Master" && t.To == "Backup"
            && (t.Reason.Contains("newer fencing term", StringComparison.Ordinal) || t.Reason.Contains("stalled", StringComparison.Ordinal)));

        // The election link cut at lb-1: both become Master; lb-2's announcement moves the client to lb-2. Healing
        // ends with one Master holding the address, taken back by a handover whose dropped SYNs the clients retransmit
        // after 1 s (hence 3 s client timeouts).
        await using (var loop = lab.Loop(timeout: TimeSpan.FromSeconds(3)))
        {
            await lab.Network.SetElectionLinkAsync("lb-1", up: false);
            var watch = Stopwatch.StartNew();
            while ((await lab.Lb2.StatusAsync()).State != "Master" && watch.Elapsed < TimeSpan.FromSeconds(15))
            {
                await Task.Delay(20);
            }

            await lab.WaitUntilServedByAsync("lb-2", TimeSpan.FromSeconds(15));
            await Task.Delay(1000);
            var healedAt = loop.Elapsed;
            await lab.Network.SetElectionLinkAsync("lb-1", up: true);
            await lab.WaitUntilSettledAsync("lb-1", StartLimit);
            var settled = loop.Elapsed - healedAt;
            await Task.Delay(300);
            await loop.StopAsync();
            Assert.True(settled < TimeSpan.FromSeconds(10), $"one master {settled.TotalMilliseconds:0} ms after healing\n{lab.Logs()}");
            AssertOnlyResetsInFlight(loop, lab);
        }

        Assert.Equal(["lb-1"], await lab.VipHoldersAsync());
    }

    /// <summary>
    /// Nothing refused or timed out; at most three requests reset per move of the address (those in flight on the old
    /// holder's connections when the neighbours switched), counting the moves from who answered.
    /// </summary>
    private static void AssertOnlyResetsInFlight(GetLoop loop, AddressLab lab)
    {
        var failures = loop.Failures;
        var answered = loop.Samples.Where(s => s.Status == HttpStatusCode.OK).OrderBy(s => s.Answered).Select(s => s.Lb).ToList();
        var moves = answered.Zip(answered.Skip(1)).Count(p => p.First != p.Second);
        var context = $"{failures.Count} of {loop.Samples.Count} failed over {moves} moves of the address:\n{string.Join("\n", failures.Take(10))}\n{lab.Logs()}";
        Assert.True(failures.Count <= 3 * Math.Max(1, moves), context);
        Assert.All(failures, f => Assert.True(f.Error?.Contains("reset", StringComparison.OrdinalIgnoreCase) == true, context));
    }
}
