using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Foobar.LoadBalancer.Election;
using Foobar.LoadBalancer.Election.Protocol;
using Foobar.LoadBalancer.Election.Transport;
using Foobar.LoadBalancer.Tests.Support;
using Foobar.TestSupport;

namespace Foobar.LoadBalancer.Tests.Failover;

/// <summary>
/// lb-1 (priority 200) and lb-2 (priority 100) as real processes on one shared endpoint (docs/election.md): exactly one
/// serves it, a kill -9 fails over within 2 s, the preferred leader takes it back, a SIGTERM fails no request, a leader
/// without web servers yields, and packets under another key change nothing.
/// </summary>
[Collection(FailoverCollection.Name)]
public sealed class FailoverTests
{
    [Fact]
    public async Task TwoLoadBalancers_Sampled_ExactlyOneServesTheEndpointAndStatusShowsBoth()
    {
        await using var pair = await LoadBalancerPair.WithSharedWebServersAsync();
        await pair.StartWithLb1LeadingAsync();

        for (var i = 0; i < 40; i++)
        {
            var statuses = await Task.WhenAll(pair.StatusAsync("lb-1"), pair.StatusAsync("lb-2"));
            var (status, lb, error) = await pair.GetAsync();
            var serving = statuses.Where(s => s.Serving).Select(s => s.Node).ToList();
            Assert.True(serving.Count == 1, $"sample {i}: serving [{string.Join(", ", serving)}], states {statuses[0].State}/{statuses[1].State}");
            Assert.Single(statuses, s => s.State == "Master");
            Assert.True(status == HttpStatusCode.OK && lb == serving[0], $"sample {i}: {status} via {lb} ({error}), serving {serving[0]}\n{pair.Logs()}");
            await Task.Delay(50);
        }

        // Both nodes on each admin page: this node in full, the other as last heard (state, priorities, when, holder).
        var lb1 = (await pair.StatusAsync("lb-1")).Election!;
        var lb2 = (await pair.StatusAsync("lb-2")).Election!;
        Assert.Equal(("Master", 200, 200, true), (lb1.State, lb1.ConfiguredPriority, lb1.EffectivePriority, lb1.HoldsEndpoint));
        Assert.Equal(("Backup", 100, false), (lb2.State, lb2.ConfiguredPriority, lb2.HoldsEndpoint));
        var heardBy2 = Assert.Single(lb2.Peers);
        Assert.Equal(("lb-1", "Master", 200, 200, true), (heardBy2.Node, heardBy2.State, heardBy2.Priority, heardBy2.ConfiguredPriority, heardBy2.HoldsEndpoint));
        Assert.True(DateTimeOffset.UtcNow - heardBy2.HeardAt < TimeSpan.FromSeconds(2), $"lb-1 last heard at {heardBy2.HeardAt}");
        var heardBy1 = Assert.Single(lb1.Peers);
        Assert.Equal(("lb-2", "Backup", 100, 100, false), (heardBy1.Node, heardBy1.State, heardBy1.Priority, heardBy1.ConfiguredPriority, heardBy1.HoldsEndpoint));
        Assert.Contains(lb1.History, t => t.To == "Master" && t.Reason.Length > 0);
        Assert.Contains(lb2.PeerHistory, t => t.Node == "lb-1" && t.To == "Master");

        // The election's meter is on the admin /metrics, and never on the public endpoint.
        var metrics = await pair.Admin.GetStringAsync(new Uri(pair.AdminUrl("lb-1"), "/metrics"));
        // prometheus-net's meter adapter prefixes the meter name (Foobar.Election) to each instrument's.
        Assert.Contains("\nfoobar_election_foobar_election_state 2", metrics, StringComparison.Ordinal);
        Assert.Contains("foobar_election_foobar_election_transitions{from=\"backup\",to=\"master\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("\nfoobar_election_foobar_election_packets_accepted ", metrics, StringComparison.Ordinal);
        var dashboard = await pair.Admin.GetStringAsync(new Uri(pair.AdminUrl("lb-2"), "/dashboard.js"));
        Assert.Contains("peerHistory", dashboard, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Leader_KilledThenRestarted_FollowerServesWithin2sAndLeaderTakesItBack()
    {
        await using var pair = await LoadBalancerPair.WithSharedWebServersAsync();
        await pair.StartWithLb1LeadingAsync();

        pair["lb-1"].Kill();
        var failover = await pair.WaitUntilServedByAsync("lb-2", TimeSpan.FromSeconds(10));

        Assert.True(failover < TimeSpan.FromSeconds(2), $"lb-2 served {failover.TotalMilliseconds:0} ms after the kill\n{pair.Logs()}");
        var lb2 = (await pair.StatusAsync("lb-2")).Election!;
        Assert.Equal("Master", lb2.State);
        // By Master_Down_Interval after the kill; or, when lb-1's web health checks failed under load just before it
        // (a rehearsal at a busy moment: its effective priority 200 - 150 = 50), by preempting it a moment earlier.
        var tookOver = lb2.History[^1].Reason;
        Assert.True(
            tookOver.Contains("Master_Down_Interval", StringComparison.Ordinal) || tookOver.StartsWith("preempted lower priority master lb-1", StringComparison.Ordinal),
            $"{tookOver}\n{pair.Logs()}");

        // lb-1 comes back and, with preemption, takes the endpoint back: a planned handover, so no request fails.
        await using var loop = new GetLoop(pair.PublicUrl);
        await pair.StartAsync("lb-1");
        await pair.WaitUntilLeadsAsync("lb-1", LoadBalancerPair.StartLimit);
        // lb-2 serves its kept-alive connections until their next answer says Connection: close, for up to 1 s of
        // drain (docs/election.md, handover step 5); a fixed 500 ms after lb-1's first answer was too short once,
        // in a loaded rehearsal. So: until the last 8 answers (two per loop) came from lb-1, generously bounded.
        await Poll.UntilNothingLeftAsync(
            () => Task.FromResult(loop.Samples.TakeLast(8).All(s => s.Lb == "lb-1")
                ? null
                : $"lb-2 still answered after lb-1 led:\n{string.Join("\n", loop.Samples.TakeLast(16))}\n{pair.Logs()}"),
            TimeSpan.FromSeconds(10),
            TimeSpan.FromMilliseconds(50));

        await loop.StopAsync();

        Assert.True(loop.Failures.Count == 0, $"{loop.Failures.Count} of {loop.Samples.Count} failed:\n{string.Join("\n", loop.Failures.Take(10))}\n{pair.Logs()}");
        lb2 = (await pair.StatusAsync("lb-2")).Election!;
        Assert.Equal("Backup", lb2.State);
        // lb-2 steps down on hearing lb-1's priority, or (when the newly started lb-1 was too slow to advertise and lb-2
        // became Master again meanwhile, seen at load average 46) on hearing lb-1 hold the endpoint under a newer term.
        var steppedDown = lb2.History[^1].Reason;
        Assert.True(
            steppedDown.Contains("higher priority master lb-1", StringComparison.Ordinal) || steppedDown.StartsWith("lb-1 took the endpoint over under a newer fencing term", StringComparison.Ordinal),
            $"{steppedDown}\n{pair.Logs()}");
        Assert.Contains(lb2.PeerHistory, t => t.Node == "lb-1" && t.To == "Silent");
    }

    [Fact]
    public async Task Leader_SigtermDuringGetLoop_NoFailedRequest()
    {
        await using var pair = await LoadBalancerPair.WithSharedWebServersAsync();
        await pair.StartWithLb1LeadingAsync();

        await using var loop = new GetLoop(pair.PublicUrl, newConnectionLoops: 3, keepAliveLoops: 2);
        await Task.Delay(1000);
        var stopAt = loop.Elapsed;
        await pair["lb-1"].StopAsync();
        var stopped = loop.Elapsed;
        await Task.Delay(1000);
        await loop.StopAsync();

        var samples = loop.Samples;
        Assert.True(loop.Failures.Count == 0, $"{loop.Failures.Count} of {samples.Count} failed:\n{string.Join("\n", loop.Failures.Take(10))}\n{pair.Logs()}");
        Assert.True(pair["lb-1"].HasExited, "lb-1 did not exit on SIGTERM");
        Assert.Contains(samples, s => s.Sent < stopAt && s.Lb == "lb-1");
        Assert.All(samples.Where(s => s.Sent > stopped), s => Assert.Equal("lb-2", s.Lb));
        Assert.True(samples.Count(s => s.Sent > stopAt && !s.KeepAlive) > 50, $"only {samples.Count} requests");
        var lb2 = (await pair.StatusAsync("lb-2")).Election!;
        Assert.Contains("priority 0", lb2.History[^1].Reason, StringComparison.Ordinal);
        Assert.Contains(lb2.PeerHistory, t => t.Node == "lb-1" && t.To == "Leaving");
    }

    /// <summary>
    /// Kept-alive clients that send their next request as soon as the last one was answered: when the outgoing node closes
    /// its public listeners after a handover, Kestrel closes the connections it accepted there, an idle one at once. A
    /// request sent in that instant met the close (a reset) and failed; the matrix saw 1 such failure in half its listen
    /// mode SIGTERM trials. Both handovers count: lb-1's on SIGTERM and lb-2's when lb-1, restarted, takes the endpoint back.
    /// </summary>
    [Fact]
    public async Task Leader_SigtermAndTakeBackUnderBusyKeptAliveClients_NoFailedRequest()
    {
        await using var pair = await LoadBalancerPair.WithSharedWebServersAsync();
        await pair.StartWithLb1LeadingAsync();

        await using var loop = new GetLoop(pair.PublicUrl, newConnectionLoops: 1, keepAliveLoops: 8, pause: TimeSpan.FromMilliseconds(1));
        await Task.Delay(500);
        await pair["lb-1"].StopAsync();
        var lb1Drain = KeepAliveDrained(pair["lb-1"]);
        await pair.WaitUntilServedByAsync("lb-2", TimeSpan.FromSeconds(5));
        await Task.Delay(500);
        await pair.StartAsync("lb-1");
        await pair.WaitUntilServedByAsync("lb-1", LoadBalancerPair.StartLimit);
        await Task.Delay(1500);
        await loop.StopAsync();
        var lb2Drain = KeepAliveDrained(pair["lb-2"]);

        var samples = loop.Samples;
        Assert.True(loop.Failures.Count == 0, $"{loop.Failures.Count} of {samples.Count} failed:\n{string.Join("\n", loop.Failures.Take(10))}\n{pair.Logs()}");
        Assert.Contains(samples, s => s.KeepAlive && s.Lb == "lb-2");
        Assert.Equal("lb-1", samples.Last(s => s.KeepAlive).Lb);

        // The race is rare, so the test also checks what prevents it: each outgoing node ended keep-alive on its busy
        // connections (their clients closed them after a Connection: close answer) before its listeners closed.
        Assert.True(lb1Drain is { Open: > 0, Left: 0 }, $"lb-1's drain on SIGTERM: {lb1Drain}\n{pair.Logs()}");
        Assert.True(lb2Drain is { Open: > 0, Left: 0 }, $"lb-2's drain on the take-back: {lb2Drain}\n{pair.Logs()}");
    }

    /// <summary>The last "ended keep-alive before closing the public listeners" (event 5050) a node logged, or null.</summary>
    private static (int Open, int Left, double ElapsedMs)? KeepAliveDrained(ServiceNode node)
    {
        foreach (var line in node.Process.LastLines(200).Reverse())
        {
            if (!line.StartsWith('{') || !line.Contains("\"Id\":5050", StringComparison.Ordinal))
            {
                continue;
            }

            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            return (root.GetProperty("Open").GetInt32(), root.GetProperty("Left").GetInt32(), root.GetProperty("ElapsedMs").GetDouble());
        }

        return null;
    }

    [Fact]
    public async Task Leader_AllItsWebServersStopped_OtherTakesOver()
    {
        var webForLb1 = await NamedUpstream.StartAsync("web-a");
        await using var webForLb2 = await NamedUpstream.StartAsync("web-b");
        await using var pair = new LoadBalancerPair([webForLb1.Url], [webForLb2.Url]);
        try
        {
            await pair.StartBothAsync();
            await pair.WaitUntilServedByAsync("lb-1", LoadBalancerPair.StartLimit);
        }
        catch
        {
            await webForLb1.DisposeAsync();
            throw;
        }

        await webForLb1.DisposeAsync();
        var tookOver = await pair.WaitUntilServedByAsync("lb-2", TimeSpan.FromSeconds(10));

        // lb-1 lets go once lb-2 advertises that it holds the endpoint and its own accept queue is drained.
        var watch = Stopwatch.StartNew();
        while ((await pair.StatusAsync("lb-1")).Election!.HoldsEndpoint && watch.Elapsed < TimeSpan.FromSeconds(3))
        {
            await Task.Delay(20);
        }

        var lb1 = (await pair.StatusAsync("lb-1")).Election!;
        var lb2 = (await pair.StatusAsync("lb-2")).Election!;
        Assert.Equal(("Backup", false, 50, false), (lb1.State, lb1.Healthy, lb1.EffectivePriority, lb1.HoldsEndpoint));
        Assert.Equal("no web server available", lb1.HealthReason);
        Assert.Equal(("Master", true), (lb2.State, lb2.HoldsEndpoint));
        Assert.Contains("preempted lower priority master lb-1 (50 < 100)", lb2.History[^1].Reason, StringComparison.Ordinal);
        Assert.True(tookOver < TimeSpan.FromSeconds(10), $"took over after {tookOver}");
        for (var i = 0; i < 10; i++)
        {
            var (status, lb, error) = await pair.GetAsync();
            Assert.True(status == HttpStatusCode.OK && lb == "lb-2", $"{status} via {lb} ({error})");
        }
    }

    [Fact]
    public async Task WrongKey_IntruderAndForgedPackets_ChangeNothing()
    {
        await using var pair = await LoadBalancerPair.WithSharedWebServersAsync();
        await pair.StartWithLb1LeadingAsync();
        var before = await Task.WhenAll(pair.StatusAsync("lb-1"), pair.StatusAsync("lb-2"));

        // A third load balancer with another key and priority 254, on the same public ports and talking to both.
        await pair.StartExtraAsync("lb-3", 254, "some-other-key-0123456789abcdef", [pair.SharedWebServers[0]]);

        // And forged advertisements: a Master at priority 254 that holds the endpoint, under a wrong key.
        var forger = new AdvertisementCodec(Encoding.UTF8.GetBytes("not-the-shared-key-at-all"));
        using var udp = new UdpClient(AddressFamily.InterNetwork);
        var watch = Stopwatch.StartNew();
        ulong sequence = 0;
        while (watch.Elapsed < TimeSpan.FromSeconds(3))
        {
            var forged = forger.Encode(new Advertisement(1, "lb-1", 254, TimeSpan.FromMilliseconds(200), VrrpState.Master, ulong.MaxValue, ++sequence, 254, true));
            foreach (var port in pair.Udp.Values)
            {
                await udp.SendAsync(forged, new IPEndPoint(IPAddress.Loopback, port));
            }

            var (status, lb, error) = await pair.GetAsync();
            Assert.True(status == HttpStatusCode.OK && lb == "lb-1", $"{status} via {lb} ({error})\n{pair.Logs()}");
            await Task.Delay(20);
        }

        var after = await Task.WhenAll(pair.StatusAsync("lb-1"), pair.StatusAsync("lb-2"));
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(before[i].Election!.History.Count, after[i].Election!.History.Count);
            Assert.Equal(before[i].State, after[i].State);
            Assert.DoesNotContain(after[i].Election!.Peers, p => p.Node == "lb-3");
            // Every forged datagram is dropped (loopback UDP loses none; how many were sent depends on the machine's load).
            Assert.True(after[i].Election!.DroppedPackets["bad_mac"] >= (long)sequence, $"{after[i].Node} dropped {after[i].Election!.DroppedPackets["bad_mac"]} of {sequence} forged");
        }

        // The intruder heard no one it could authenticate and made itself Master, but the port is held: the kernel
        // refused it (no planned handover, so no sharing) and it counts as unhealthy.
        var intruder = (await pair.StatusAsync("lb-3")).Election!;
        Assert.Equal(("Master", false, false), (intruder.State, intruder.HoldsEndpoint, intruder.Healthy));
        Assert.Contains("cannot bind the virtual endpoint", intruder.HealthReason, StringComparison.Ordinal);
    }
}
