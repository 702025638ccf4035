using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Foobar.LoadBalancer.Tests.Failover;
using Xunit.Abstractions;

namespace Foobar.LoadBalancer.Tests.AddressMode;

/// <summary>
/// VRRPv3 on the wire (<c>Election:Vrrp:Enabled</c>, docs/election.md, "VRRPv3 on the wire"): lb-1 (priority 200) and
/// keepalived from Debian (priority 100, <c>vrrp_version 3</c>) in neighbouring namespaces share one virtual IP, each
/// hearing the other's IP protocol 112 multicast. Preemption, a graceful stop and a kill -9 move the address between
/// them, and once it settles exactly one host holds it.
/// </summary>
[Collection(FailoverCollection.Name)]
public sealed partial class KeepalivedInteropTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);
    private static readonly string[] Hosts = ["lb-1", "ka"];

    [Fact]
    public async Task LoadBalancerAndKeepalived_ShareTheVirtualIp_ThroughPreemptionGracefulStopAndKill()
    {
        await using var network = await NetworkLab.CreateAsync(("lb-1", 11), ("ka", 12), ("web", 20), ("cli", 30));
        var vip = network.Address(100);
        var tls = Path.Combine(Path.GetTempPath(), $"foobar-vrrp-tls-{Guid.NewGuid():N}");
        await using var web = await NamespacedWebServer.StartAsync(network.Namespace("web"), network.Address(20), 8081, "web-a");
        await using var keepalived = new KeepalivedRouter(network.Namespace("ka"), routerId: 1, priority: 100, Interval, $"{vip}/24");
        await using var lb = new NamespacedLoadBalancer(network, "lb-1", 200, network.ElectionAddress(12), network.ElectionAddress(11), vip, web.Url, tls,
            new Dictionary<string, string?> { ["Election:Vrrp:Enabled"] = "true" });
        using var client = NamespaceSocket.HttpClient(network.Namespace("cli"), TimeSpan.FromMilliseconds(500));
        string Logs() => $"--- lb-1:\n{lb.Logs()}\n--- keepalived:\n{keepalived.Logs()}";
        try
        {
            // keepalived alone becomes Master and takes the address.
            keepalived.Start();
            await UntilHoldersAsync(network, vip, ["ka"], Logs);

            // lb-1 preempts: keepalived must parse its advertisements (checksum, TTL, interval) to step down.
            var clock = Stopwatch.StartNew();
            await lb.StartAsync(TimeSpan.FromSeconds(40));
            await UntilHoldersAsync(network, vip, ["lb-1"], Logs);
            var preempted = clock.Elapsed;
            await UntilServedByLb1Async(client, vip, Logs);
            var settled = await SampleHoldersAsync(network, vip, TimeSpan.FromSeconds(3));
            var peer = (await lb.FullStatusAsync()).Election!.Peers.SingleOrDefault(p => p.Node == $"vrrp:{network.Address(12)}");
            Assert.All(settled, holders => Assert.Equal(["lb-1"], holders));
            Assert.NotNull(peer);
            Assert.Contains($"Master received advert from {network.Address(11)} with higher priority 200, ours 100", keepalived.Logs(), StringComparison.Ordinal);

            // A graceful stop sends priority 0: keepalived takes over after its Skew_Time, and lb-1 removes the address.
            clock.Restart();
            await lb.StopAsync();
            var stopped = clock.Elapsed;
            await UntilHoldersAsync(network, vip, ["ka"], Logs);
            var handedOver = clock.Elapsed;
            Assert.Contains("Backup received priority 0 advertisement", keepalived.Logs(), StringComparison.Ordinal);

            // lb-1 again, then kill -9: keepalived takes over after its Master_Down_Interval; the dead host keeps the
            // address on its interface, but the client's neighbour entry follows keepalived's gratuitous ARP.
            await lb.StartAsync(TimeSpan.FromSeconds(40));
            await UntilHoldersAsync(network, vip, ["lb-1"], Logs);
            await UntilServedByLb1Async(client, vip, Logs);
            clock.Restart();
            lb.Kill();
            var killed = await UntilAsync(async () => (await HoldersAsync(network, vip)).Contains("ka"), Logs, "keepalived to take the address after the kill");
            var keepalivedMac = MacOf(await NetworkLab.Ip("-n", network.Namespace("ka"), "-o", "link", "show", "eth0"));
            await UntilAsync(
                async () => (await NetworkLab.Ip("-n", network.Namespace("cli"), "neigh", "show", vip)).Contains(keepalivedMac, StringComparison.OrdinalIgnoreCase),
                Logs, "the client's neighbour entry for the address to name keepalived's host");

            output.WriteLine($"VRRPv3 with keepalived {KeepalivedVersion()}: lb-1 held the address {preempted.TotalMilliseconds:0} ms after it was started " +
                $"(preempting keepalived; {settled.Count} samples over 3 s, lb-1 alone in each); graceful stop: lb-1 exited after {stopped.TotalMilliseconds:0} ms, " +
                $"keepalived alone held the address {handedOver.TotalMilliseconds:0} ms after the stop began; kill -9: keepalived held it after {killed.TotalMilliseconds:0} ms");
            Assert.True(handedOver < TimeSpan.FromSeconds(10), $"keepalived took over {handedOver} after the graceful stop");
        }
        catch (Exception) when (Flush(Logs()))
        {
            throw;
        }
        finally
        {
            try
            {
                Directory.Delete(tls, recursive: true);
            }
            catch (IOException)
            {
                // Best effort.
            }
        }
    }

    private static async Task<List<string>> HoldersAsync(NetworkLab network, string vip)
    {
        var holders = new List<string>();
        foreach (var host in Hosts)
        {
            if ((await network.AddressesAsync(host)).Contains($" {vip}/", StringComparison.Ordinal))
            {
                holders.Add(host);
            }
        }

        return holders;
    }

    /// <summary>Until exactly <paramref name="expected"/> hold the address; how long that took.</summary>
    private static Task<TimeSpan> UntilHoldersAsync(NetworkLab network, string vip, string[] expected, Func<string> logs) =>
        UntilAsync(async () => (await HoldersAsync(network, vip)).SequenceEqual(expected), logs, $"exactly [{string.Join(", ", expected)}] to hold {vip}");

    private static async Task<List<List<string>>> SampleHoldersAsync(NetworkLab network, string vip, TimeSpan duration)
    {
        var samples = new List<List<string>>();
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < duration)
        {
            samples.Add(await HoldersAsync(network, vip));
            await Task.Delay(50);
        }

        return samples;
    }

    private static Task UntilServedByLb1Async(HttpClient client, string vip, Func<string> logs) => UntilAsync(
        async () =>
        {
            try
            {
                using var response = await client.GetAsync(new Uri($"http://{vip}:{NamespacedLoadBalancer.HttpPort}/"));
                return response.StatusCode == HttpStatusCode.OK && LoadBalancerPair.ViaLb(response) == "lb-1";
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
            {
                return false;
            }
        },
        logs,
        "the client served by lb-1 through the address");

    private static async Task<TimeSpan> UntilAsync(Func<Task<bool>> condition, Func<string> logs, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            if (watch.Elapsed > Limit)
            {
                throw new TimeoutException($"not within {Limit}: {what}\n{logs()}");
            }

            await Task.Delay(20);
        }

        return watch.Elapsed;
    }

    private static string MacOf(string link) => MacPattern().Match(link) is { Success: true } match
        ? match.Groups[1].Value
        : throw new InvalidOperationException($"no MAC address in: {link}");

    private static string KeepalivedVersion()
    {
        using var process = Process.Start(new ProcessStartInfo("keepalived", "--version") { RedirectStandardError = true, RedirectStandardOutput = true })!;
        var text = process.StandardError.ReadToEnd() + process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return text.Split('\n')[0].Trim();
    }

    private bool Flush(string logs)
    {
        output.WriteLine(logs);
        return false;
    }

    [GeneratedRegex(@"link/ether ([0-9a-f:]{17})")]
    private static partial Regex MacPattern();
}
