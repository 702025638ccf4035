using System.Diagnostics;
using System.Net;
using Foobar.LoadBalancer.Tests.Support;
using Foobar.TestSupport;

namespace Foobar.LoadBalancer.Tests.Failover;

/// <summary>
/// lb-1 (priority 200) and lb-2 (priority 100) as real processes on one shared endpoint, listen mode: a leader frozen
/// with SIGSTOP (what <c>docker pause</c> does) loses the endpoint within about a Master_Down_Interval although its
/// socket stays open, gives up the moment it runs again, and takes the endpoint back by a planned handover; a partition
/// of the election traffic leaves exactly one node taking new connections, and healing it ends with one Master and no
/// failed request (docs/election.md, "A frozen or cut-off leader").
/// </summary>
[Collection(FailoverCollection.Name)]
public sealed class FrozenAndPartitionedLeaderTests
{
    [Fact]
    public async Task Leader_Frozen_FollowerServesWithin2sAndResumedLeaderGivesUpThenTakesBackWithoutFailure()
    {
        await using var pair = await LoadBalancerPair.WithSharedWebServersAsync();
        await pair.StartWithLb1LeadingAsync();

        // New connections only: a kept-alive connection to the frozen process waits for it, as it would in production.
        await using var loop = new GetLoop(pair.PublicUrl, newConnectionLoops: 3, keepAliveLoops: 0);
        await Task.Delay(500);
        var pid = pair["lb-1"].Pid ?? throw new InvalidOperationException("lb-1 is not running");
        TimeSpan failover, resumedAt;
        var whileFrozen = new List<(HttpStatusCode? Status, string? Lb, string? Error)>();
        ProcessSignal.Freeze(pid);
        try
        {
            failover = await pair.WaitUntilServedByAsync("lb-2", TimeSpan.FromSeconds(10), tryTimeout: TimeSpan.FromMilliseconds(300));

            // The loop's clients are stuck on connections the frozen socket queued before lb-2 took over (they are
            // answered after SIGCONT); sample the endpoint on fresh connections meanwhile.
            var sampling = Stopwatch.StartNew();
            while (sampling.Elapsed < TimeSpan.FromSeconds(1.5) || whileFrozen.Count < 20)
            {
                whileFrozen.Add(await pair.GetAsync());
                await Task.Delay(10);
            }
        }
        finally
        {
            resumedAt = loop.Elapsed;
            ProcessSignal.Resume(pid);
        }

        await pair.WaitUntilLeadsAsync("lb-1", LoadBalancerPair.StartLimit);
        await Task.Delay(300);
        await loop.StopAsync();

        var context = $"\n{string.Join("\n", loop.Failures.Take(10))}\n{pair.Logs()}";
        Assert.True(failover < TimeSpan.FromSeconds(2), $"lb-2 served {failover.TotalMilliseconds:0} ms after SIGSTOP{context}");

        // While lb-1 was frozen, every connection made after lb-2 took over went to lb-2 and was answered.
        Assert.True(whileFrozen.Count >= 20, $"only {whileFrozen.Count} requests while frozen{context}");
        Assert.All(whileFrozen, s => Assert.True(s.Status == HttpStatusCode.OK && s.Lb == "lb-2", $"{s} while frozen{context}"));

        // Resuming, lb-1 gave up at once and took the endpoint back by a planned handover: nothing failed from then on.
        var afterResume = loop.Samples.Where(s => s.Sent >= resumedAt).ToList();
        Assert.True(afterResume.All(s => s.Status == HttpStatusCode.OK), $"{afterResume.Count(s => s.Status != HttpStatusCode.OK)} of {afterResume.Count} failed after SIGCONT{context}");
        Assert.Equal("lb-1", afterResume[^1].Lb);

        var lb1 = (await pair.StatusAsync("lb-1")).Election!;
        var gaveUp = lb1.History.Last(t => t.From == "Master" && t.To == "Backup");
        Assert.True(
            gaveUp.Reason.Contains("newer fencing term", StringComparison.Ordinal) || gaveUp.Reason.Contains("stalled", StringComparison.Ordinal),
            $"lb-1 stepped down because: {gaveUp.Reason}{context}");
        Assert.Equal(("Master", true), (lb1.State, lb1.HoldsEndpoint));
        var lb2 = (await pair.StatusAsync("lb-2")).Election!;
        Assert.Equal(("Backup", false), (lb2.State, lb2.HoldsEndpoint));
        Assert.Contains(lb2.History, t => t.To == "Master" && t.Reason.Contains("Master_Down_Interval", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ElectionTrafficCut_OneNodeTakesNewConnections_HealsToOneMasterWithoutFailure()
    {
        await using var pair = await LoadBalancerPair.WithSharedWebServersAsync();

        // Each node's advertisements reach the other through a relay that the test can cut.
        await using var toLb1 = new UdpRelay(FreePorts.NextUdp(), pair.Udp["lb-1"]);
        await using var toLb2 = new UdpRelay(FreePorts.NextUdp(), pair.Udp["lb-2"]);
        pair.Set("lb-1", "Election:Peers:0", $"127.0.0.1:{toLb2.Port}");
        pair.Set("lb-2", "Election:Peers:0", $"127.0.0.1:{toLb1.Port}");
        await pair.StartWithLb1LeadingAsync();

        await using var loop = new GetLoop(pair.PublicUrl, newConnectionLoops: 3, keepAliveLoops: 2);
        await Task.Delay(500);
        var cutAt = loop.Elapsed;
        var cutClock = DateTimeOffset.UtcNow;
        toLb1.Cut = toLb2.Cut = true;
        var watch = Stopwatch.StartNew();
        while ((await pair.StatusAsync("lb-2")).State != "Master" && watch.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(20);
        }

        // Both consider themselves Master now, but only the node that took over last gets new connections.
        await Task.Delay(300);
        var partitionedFrom = loop.Elapsed;
        var during = await Task.WhenAll(pair.StatusAsync("lb-1"), pair.StatusAsync("lb-2"));
        await Task.Delay(1500);
        var healedAt = loop.Elapsed;
        toLb1.Cut = toLb2.Cut = false;
        await pair.WaitUntilLeadsAsync("lb-1", LoadBalancerPair.StartLimit);
        var settledAt = loop.Elapsed;
        await Task.Delay(300);
        await loop.StopAsync();

        var context = $"\n{string.Join("\n", loop.Failures.Take(10))}\n{pair.Logs()}";
        // lb-1 hears nobody during the cut, so it stays Master, unless it was already replaced: on a loaded 2-core
        // machine (three busy loops beside the test) lb-1 stalled in the 500 ms before the cut, lb-2 took over before
        // it and lb-1 stepped down on lb-2's newer term, a Backup when sampled. Its stall watchdog is the other reason.
        var lb1During = during[0].Election!;
        var lb2During = during[1].Election!;
        var replacedBeforeCut = lb2During.History.Any(t => t.To == "Master" && t.At < cutClock);
        var duringText = $"cut at {cutClock:HH:mm:ss.fff}{Describe("lb-1", lb1During)}{Describe("lb-2", lb2During)}";
        Assert.True(lb2During.State == "Master", $"lb-2 is not Master during the partition: {duringText}{context}");
        Assert.True(
            lb1During.State == "Master" || replacedBeforeCut || lb1During.History[^1].Reason.StartsWith("this process was stalled", StringComparison.Ordinal),
            $"lb-1 is not Master during the partition, neither replaced before the cut nor stalled: {duringText}{context}");
        var newConnections = loop.Samples.Where(s => !s.KeepAlive && s.Sent > partitionedFrom && s.Sent < healedAt).ToList();
        Assert.True(newConnections.Count > 20, $"only {newConnections.Count} requests during the partition{context}");
        Assert.All(newConnections, s => Assert.True(s.Status == HttpStatusCode.OK && s.Lb == "lb-2", $"{s}{context}"));
        Assert.True(loop.Failures.Count == 0, $"{loop.Failures.Count} of {loop.Samples.Count} failed (cut at {cutAt.TotalMilliseconds:0} ms, healed at {healedAt.TotalMilliseconds:0} ms){context}");
        Assert.True(settledAt - healedAt < TimeSpan.FromSeconds(5), $"one master {(settledAt - healedAt).TotalMilliseconds:0} ms after healing{context}");

        var lb1 = (await pair.StatusAsync("lb-1")).Election!;
        Assert.Contains(lb1.History, t => t.From == "Master" && t.To == "Backup" && t.Reason.Contains("newer fencing term", StringComparison.Ordinal));
        var lb2 = (await pair.StatusAsync("lb-2")).Election!;
        // With both histories and the logs: a full suite's run once found lb-1 a Backup here, 300 ms after it led.
        var settled = $"{Describe("lb-1", lb1)}{Describe("lb-2", lb2)}{context}";
        Assert.True((lb1.State, lb1.HoldsEndpoint) == ("Master", true), $"lb-1 is not the one Master after healing{settled}");
        Assert.True((lb2.State, lb2.HoldsEndpoint) == ("Backup", false), $"lb-2 is not a Backup after healing{settled}");
    }

    /// <summary>A node's state and its transitions with their times, one line for a failure message.</summary>
    private static string Describe(string node, ElectionStatus.ElectionPart election) =>
        $"\n{node} {election.State} holds={election.HoldsEndpoint}: {string.Join("; ", election.History.Select(t => $"{t.At:HH:mm:ss.fff} {t.From}->{t.To} {t.Reason}"))}";
}
