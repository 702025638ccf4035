using System.Diagnostics;
using System.Text.RegularExpressions;
using Foobar.Containers.Tests.Support;
using Foobar.TestSupport;
using Xunit.Abstractions;

namespace Foobar.Containers.Tests;

/// <summary>
/// docker-compose.address.yml on a real engine: the Master's container killed (its network namespace, and the virtual
/// IP with it, gone: a host failure) while the host's client asks the virtual IP, then started again. Who holds the
/// address is read from each container's kernel (/proc/net/fib_trie lists it as a local address), not from the
/// election's own view.
/// </summary>
[Collection(AddressModeStackCollection.Name)]
public sealed class AddressModeTests(AddressModeStackFixture stack, ITestOutputHelper output)
{
    private const string Lb1 = "lb-1-address";
    private const string Lb2 = "lb-2-address";

    [Fact]
    public async Task KillMaster_UnderTraffic_OtherTakesTheVirtualIp_RestartSettlesToOneHolder()
    {
        var clock = Stopwatch.StartNew();
        output.WriteLine($"images built in {stack.BuildTime.TotalSeconds:F0} s; up and healthy in {stack.UpTime.TotalSeconds:F0} s");
        // lb-1 has priority 200: once both run it holds the address, and only it.
        Assert.Equal(Lb1, await SettledHolderAsync(TimeSpan.FromSeconds(60)));
        await LoadBalancers.WaitForStateAsync(stack, "lb-2", "Backup", TimeSpan.FromSeconds(10));

        // A client that gives up on a request after 1 s and retries on a new connection, as a browser would on reload: a
        // connection open to the killed container is answered by nobody until a retransmission reaches lb-2 (a reset).
        using var client = stack.CreateClient(TimeSpan.FromSeconds(1));
        var traffic = Traffic.Start(client, $"addr-{Guid.NewGuid():N}"[..14], getLoops: 2, postLoops: 1);
        await QuietAsync(traffic, TimeSpan.FromSeconds(60));
        traffic.ResetLongestGap();

        var lb1 = Assert.Single(await stack.Compose.ContainerIdsAsync(Lb1));
        var failedBefore = traffic.FailedGets.Count;
        var killed = Stopwatch.StartNew();
        output.WriteLine($"docker kill {Lb1} at {traffic.Elapsed.TotalSeconds:F1}s ({DateTime.UtcNow:HH:mm:ss.fff} UTC)");
        await DockerCli.CheckedAsync(["kill", lb1]);
        await LoadBalancers.WaitForStateAsync(stack, "lb-2", "Master", TimeSpan.FromSeconds(15));
        var takenOver = killed.Elapsed;
        Assert.Equal(Lb2, await SettledHolderAsync(TimeSpan.FromSeconds(15)));
        await Task.Delay(2000);
        var killGap = traffic.LongestGap;
        var failedOnKill = traffic.FailedGets.Count - failedBefore;
        traffic.ResetLongestGap();
        output.WriteLine($"failed after the kill: {string.Join("; ", traffic.FailedGets.Skip(failedBefore).Take(20))}");

        // Back with the higher priority: it preempts lb-2 by a planned handover, and exactly one holds the address.
        await DockerCli.CheckedAsync(["start", lb1]);
        await LoadBalancers.WaitForStateAsync(stack, "lb-1", "Master", TimeSpan.FromSeconds(60));
        Assert.Equal(Lb1, await SettledHolderAsync(TimeSpan.FromSeconds(15)));
        await LoadBalancers.WaitForStateAsync(stack, "lb-2", "Backup", TimeSpan.FromSeconds(10));
        await Task.Delay(2000);
        await traffic.StopAsync();

        output.WriteLine($"kill {Lb1}: longest gap between successful GETs {killGap.TotalMilliseconds:F0} ms, {failedOnKill} failed, lb-2 Master " +
            $"{takenOver.TotalMilliseconds:F0} ms after `docker kill` began; start again: longest gap {traffic.LongestGap.TotalMilliseconds:F0} ms, " +
            $"{traffic.FailedGets.Count - failedBefore - failedOnKill} failed; {traffic.Gets} GETs in all; test {clock.Elapsed.TotalSeconds:F0} s");
        // The gap is the election's ~0.8 s plus the address move and its announcement: every node opens its public
        // listeners at start, so no bind is left in it (that bind made 1.6-4.5 s gaps, with a 6 s bound). Measured
        // 1.4 s (lb-2 Master after 0.7 s) at load average 25-29 on 2 cores; 3 s leaves that machine its margin.
        Assert.True(killGap < TimeSpan.FromSeconds(3), $"gap {killGap}; failures: {string.Join("; ", traffic.FailedGets.Skip(failedBefore).Take(10))}");
        Assert.True(traffic.LongestGap < TimeSpan.FromSeconds(3), $"gap after the restart {traffic.LongestGap}; failures: {string.Join("; ", traffic.FailedGets.Skip(failedBefore + failedOnKill).Take(10))}");
        await traffic.AssertEveryPostStoredOnceAsync();
    }

    /// <summary>
    /// Until no GET has failed for 3 s: a fresh stack's first API requests (EF Core warming up on a loaded machine) take
    /// over a second, which would otherwise be measured as part of the failover's gap.
    /// </summary>
    private static async Task QuietAsync(Traffic traffic, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var (failures, quietSince) = (traffic.FailedGets.Count, DateTime.UtcNow);
        while (DateTime.UtcNow - quietSince < TimeSpan.FromSeconds(3))
        {
            Assert.True(DateTime.UtcNow < deadline, $"GETs still failing after {timeout}: {string.Join("; ", traffic.FailedGets.TakeLast(5))}");
            await Task.Delay(250);
            if (traffic.FailedGets.Count != failures)
            {
                (failures, quietSince) = (traffic.FailedGets.Count, DateTime.UtcNow);
            }
        }
    }

    /// <summary>
    /// The one service whose container has had the virtual IP for 2 s. Two holders are allowed only for a planned
    /// handover's overlap (the new Master adds the address before the old one removes it), bounded by HandoverTimeout
    /// + 1 s (docs/election.md); longer fails.
    /// </summary>
    private async Task<string> SettledHolderAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var since = DateTime.UtcNow;
        var last = "";
        while (true)
        {
            var holders = await HoldersAsync();
            var now = string.Join(", ", holders);
            if (now != last)
            {
                (last, since) = (now, DateTime.UtcNow);
            }

            Assert.False(holders.Count > 1 && DateTime.UtcNow - since > TimeSpan.FromSeconds(3), $"two containers hold {stack.VirtualIp} for over 3 s: {now}");
            if (holders.Count == 1 && DateTime.UtcNow - since >= TimeSpan.FromSeconds(2))
            {
                return holders[0];
            }

            Assert.True(DateTime.UtcNow < deadline, $"no single holder of {stack.VirtualIp} for 2 s within {timeout} (last: '{last}')");
            await Task.Delay(250);
        }
    }

    private async Task<IReadOnlyList<string>> HoldersAsync()
    {
        var local = new Regex($@"-- {Regex.Escape(stack.VirtualIp)}\s*$", RegexOptions.Multiline);
        var holders = new List<string>();
        foreach (var service in AddressModeStackFixture.Services)
        {
            foreach (var id in await stack.Compose.ContainerIdsAsync(service))
            {
                // A stopped container has no network namespace, so it holds nothing (exec fails).
                var fib = await DockerCli.RunAsync(["exec", id, "cat", "/proc/net/fib_trie"], TimeSpan.FromSeconds(30));
                if (fib.ExitCode == 0 && local.IsMatch(fib.Output))
                {
                    holders.Add(service);
                }
            }
        }

        return holders;
    }
}
