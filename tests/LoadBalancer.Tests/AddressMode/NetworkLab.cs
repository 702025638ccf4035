using System.Globalization;
using Foobar.TestSupport;

namespace Foobar.LoadBalancer.Tests.AddressMode;

/// <summary>
/// Separate hosts on one machine: network namespaces made with iproute2, each with its own <c>eth0</c> on one bridge
/// (itself in a namespace of its own, so the machine's own network is never touched), plus a direct election link
/// (<c>el0</c>) between the two load balancers that a test can cut. Addresses come from a /24 chosen per lab.
/// Disposing deletes every namespace (the veths and the bridge go with them); a lab left behind by a test process
/// that died is deleted by the next one (the namespace names carry the process id).
/// </summary>
internal sealed class NetworkLab : IAsyncDisposable
{
    private const string Prefix = "fbv-";
    private static int _labs;
    private readonly List<string> _namespaces = [];

    private NetworkLab(string id, int subnet)
    {
        Id = id;
        Subnet = subnet;
    }

    public string Id { get; }

    /// <summary>The third octet: hosts are 10.213.{Subnet}.x/24 on the bridge, 10.214.{Subnet}.x/24 on the election link.</summary>
    public int Subnet { get; }

    public string Namespace(string host) => $"{Prefix}{Id}-{host}";

    public string Address(int host) => $"10.213.{Subnet}.{host}";

    public string ElectionAddress(int host) => $"10.214.{Subnet}.{host}";

    /// <summary>Creates the switch and <paramref name="hosts"/> (name, last octet); the first two also get the election link.</summary>
    public static async Task<NetworkLab> CreateAsync(params (string Name, int Octet)[] hosts)
    {
        await RemoveAbandonedAsync();
        var id = $"{Environment.ProcessId}-{Interlocked.Increment(ref _labs)}";
        var lab = new NetworkLab(id, ((Environment.ProcessId * 7) + _labs) % 250 + 1);
        try
        {
            var sw = lab.Namespace("sw");
            await lab.AddNamespaceAsync(sw);
            await Ip("-n", sw, "link", "add", "br0", "type", "bridge");
            await Ip("-n", sw, "link", "set", "br0", "up");
            foreach (var (name, octet) in hosts)
            {
                var ns = lab.Namespace(name);
                await lab.AddNamespaceAsync(ns);
                await Ip("-n", sw, "link", "add", $"p-{name}", "type", "veth", "peer", "name", "eth0", "netns", ns);
                await Ip("-n", sw, "link", "set", $"p-{name}", "master", "br0", "up");
                await Ip("-n", ns, "addr", "add", $"{lab.Address(octet)}/24", "dev", "eth0");
                await Ip("-n", ns, "link", "set", "eth0", "up");
                await Ip("-n", ns, "link", "set", "lo", "up");
            }

            var (a, b) = (hosts[0], hosts[1]);
            await Ip("-n", lab.Namespace(a.Name), "link", "add", "el0", "type", "veth", "peer", "name", "el0", "netns", lab.Namespace(b.Name));
            foreach (var (name, octet) in new[] { a, b })
            {
                await Ip("-n", lab.Namespace(name), "addr", "add", $"{lab.ElectionAddress(octet)}/24", "dev", "el0");
                await Ip("-n", lab.Namespace(name), "link", "set", "el0", "up");
            }

            return lab;
        }
        catch
        {
            await lab.DisposeAsync();
            throw;
        }
    }

    /// <summary>Cuts (or restores) the direct election link at <paramref name="host"/>'s end: a partition of the election traffic only.</summary>
    public Task SetElectionLinkAsync(string host, bool up) => Ip("-n", Namespace(host), "link", "set", "el0", up ? "up" : "down");

    /// <summary>The IPv4 addresses on <paramref name="host"/>'s eth0.</summary>
    public async Task<string> AddressesAsync(string host) => await Ip("-n", Namespace(host), "-4", "-o", "addr", "show", "dev", "eth0");

    public async ValueTask DisposeAsync()
    {
        foreach (var ns in Enumerable.Reverse(_namespaces))
        {
            await DeleteAsync(ns);
        }
    }

    /// <summary>Runs <c>ip</c> and returns its output; a failure throws with its message.</summary>
    public static async Task<string> Ip(params string[] arguments)
    {
        var result = await CommandLine.RunAsync("ip", arguments, Environment.CurrentDirectory, TimeSpan.FromMinutes(1));
        return result.ExitCode == 0
            ? result.Output
            : throw new InvalidOperationException($"ip {string.Join(' ', arguments)}: {result}");
    }

    private async Task AddNamespaceAsync(string ns)
    {
        await Ip("netns", "add", ns);
        _namespaces.Add(ns);
    }

    private static async Task DeleteAsync(string ns)
    {
        try
        {
            await Ip("netns", "del", ns);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private static async Task RemoveAbandonedAsync()
    {
        var list = await Ip("netns", "list");
        foreach (var line in list.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var name = line.Split(' ')[0];
            if (!name.StartsWith(Prefix, StringComparison.Ordinal))
            {
                continue;
            }

            var pid = name[Prefix.Length..].Split('-')[0];
            if (int.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out var owner) && !Directory.Exists($"/proc/{owner}"))
            {
                await DeleteAsync(name);
            }
        }
    }
}
