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

        // A client that gives up on a request after 2 s and retries on a new connection, as a browser would on reload.
        using var client = stack.CreateClient(TimeSpan.FromSeconds(2));
        var traffic = Traffic.Start(client, $"addr-{Guid.NewGuid():N}"[..14], getLoops: 2, postLoops: 1);
        await Task.Delay(2000);

        await stack.Compose.RunCheckedAsync(TimeSpan.FromMinutes(1), "kill", Lb1);
        await LoadBalancers.WaitForStateAsync(stack, "lb-2", "Master", TimeSpan.FromSeconds(15));
        Assert.Equal(Lb2, await SettledHolderAsync(TimeSpan.FromSeconds(15)));
        await Task.Delay(2000);
        var killGap = traffic.LongestGap;
        var failedOnKill = traffic.FailedGets.Count;

        // Back with the higher priority: it preempts lb-2 by a planned handover, and exactly one holds the address.
        await stack.Compose.RunCheckedAsync(TimeSpan.FromMinutes(1), "start", Lb1);
        await LoadBalancers.WaitForStateAsync(stack, "lb-1", "Master", TimeSpan.FromSeconds(60));
        Assert.Equal(Lb1, await SettledHolderAsync(TimeSpan.FromSeconds(15)));
        await LoadBalancers.WaitForStateAsync(stack, "lb-2", "Backup", TimeSpan.FromSeconds(10));
        await Task.Delay(2000);
        await traffic.StopAsync();

        output.WriteLine($"kill {Lb1}: longest gap between successful GETs {killGap.TotalMilliseconds:F0} ms, {failedOnKill} failed; " +
            $"start again: {traffic.FailedGets.Count - failedOnKill} failed; {traffic.Gets} GETs in all; test {clock.Elapsed.TotalSeconds:F0} s");
        Assert.True(killGap < TimeSpan.FromSeconds(3), $"gap {killGap}; failures: {string.Join("; ", traffic.FailedGets.Take(10))}");
        Assert.True(traffic.LongestGap < TimeSpan.FromSeconds(3), $"gap after the restart {traffic.LongestGap}; failures: {string.Join("; ", traffic.FailedGets.Take(10))}");
        await traffic.AssertEveryPostStoredOnceAsync();
    }

    /// <summary>The one service whose container has the virtual IP, once that has held for 2 s; fails on two holders.</summary>
    private async Task<string> SettledHolderAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var stableSince = DateTime.UtcNow;
        string? last = null;
        while (true)
        {
            var holders = await HoldersAsync();
            Assert.True(holders.Count <= 1, $"two containers hold {stack.VirtualIp}: {string.Join(", ", holders)}");
            var holder = holders.SingleOrDefault();
            if (holder != last)
            {
                (last, stableSince) = (holder, DateTime.UtcNow);
            }
            else if (holder is not null && DateTime.UtcNow - stableSince >= TimeSpan.FromSeconds(2))
            {
                return holder;
            }

            Assert.True(DateTime.UtcNow < deadline, $"no single holder of {stack.VirtualIp} for 2 s within {timeout} (last: {last ?? "none"})");
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
                var fib = await CommandLine.RunAsync("docker", ["exec", id, "cat", "/proc/net/fib_trie"], TimeSpan.FromSeconds(30), DockerEngine.CommandEnvironment());
                if (fib.ExitCode == 0 && local.IsMatch(fib.Output))
                {
                    holders.Add(service);
                }
            }
        }

        return holders;
    }
}
