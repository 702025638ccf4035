using System.Diagnostics;
using System.Net;
using Foobar.LoadBalancer.Tests.Failover;

namespace Foobar.LoadBalancer.Tests.AddressMode;

/// <summary>
/// The four hosts of an address-mode test: lb-1 (.11, priority 200), lb-2 (.12, priority 100), a web server (.20) and a
/// client (.30), with the virtual IP .100; both load balancers started and lb-1 settled as the holder.
/// </summary>
internal sealed class AddressLab : IAsyncDisposable
{
    private readonly string _tls = Path.Combine(Path.GetTempPath(), $"foobar-address-tls-{Guid.NewGuid():N}");
    private NamespacedWebServer? _web;
    private HttpClient? _probe;

    private AddressLab(NetworkLab network)
    {
        Network = network;
        Vip = network.Address(100);
    }

    public NetworkLab Network { get; }

    public string Vip { get; }

    public Uri PublicUrl => new($"http://{Vip}:{NamespacedLoadBalancer.HttpPort}/");

    public NamespacedLoadBalancer Lb1 { get; private set; } = null!;

    public NamespacedLoadBalancer Lb2 { get; private set; } = null!;

    /// <param name="settings">More settings for both load balancers (e.g. the election witness).</param>
    /// <param name="beforeLoadBalancers">Runs once the namespaces exist, before the load balancers start (e.g. what they must reach).</param>
    public static async Task<AddressLab> StartAsync(IReadOnlyDictionary<string, string?>? settings = null, Func<NetworkLab, Task>? beforeLoadBalancers = null)
    {
        var network = await NetworkLab.CreateAsync(("lb-1", 11), ("lb-2", 12), ("web", 20), ("cli", 30));
        var lab = new AddressLab(network);
        try
        {
            if (beforeLoadBalancers is not null)
            {
                await beforeLoadBalancers(network);
            }

            lab._web = await NamespacedWebServer.StartAsync(network.Namespace("web"), network.Address(20), 8081, "web-a");
            lab.Lb1 = new NamespacedLoadBalancer(network, "lb-1", 200, network.ElectionAddress(12), network.ElectionAddress(11), lab.Vip, lab._web.Url, lab._tls, settings);
            lab.Lb2 = new NamespacedLoadBalancer(network, "lb-2", 100, network.ElectionAddress(11), network.ElectionAddress(12), lab.Vip, lab._web.Url, lab._tls, settings);
            lab._probe = NamespaceSocket.HttpClient(network.Namespace("cli"), TimeSpan.FromMilliseconds(500));
            await lab.Lb1.StartAsync(TimeSpan.FromSeconds(40));
            await lab.Lb2.StartAsync(TimeSpan.FromSeconds(40));
            await lab.WaitUntilSettledAsync("lb-1", TimeSpan.FromSeconds(40));
            return lab;
        }
        catch
        {
            await lab.DisposeAsync();
            throw;
        }
    }

    /// <summary>Clients in the client namespace: three on new connections and one kept alive unless said, 1 s timeout each unless said.</summary>
    public GetLoop Loop(int newConnectionLoops = 3, int keepAliveLoops = 1, TimeSpan? timeout = null) => new(PublicUrl, newConnectionLoops, keepAliveLoops, clientFactory: keepAlive =>
        NamespaceSocket.HttpClient(Network.Namespace("cli"), timeout ?? TimeSpan.FromSeconds(1), newConnectionPerRequest: !keepAlive));

    /// <summary>Polls from the client namespace until <paramref name="name"/> answers through the virtual IP.</summary>
    public async Task<TimeSpan> WaitUntilServedByAsync(string name, TimeSpan limit)
    {
        var watch = Stopwatch.StartNew();
        var last = "nothing";
        while (watch.Elapsed < limit)
        {
            try
            {
                using var response = await _probe!.GetAsync(PublicUrl);
                last = $"{(int)response.StatusCode} via {LoadBalancerPair.ViaLb(response)}";
                if (response.StatusCode == HttpStatusCode.OK && LoadBalancerPair.ViaLb(response) == name)
                {
                    return watch.Elapsed;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
            {
                // Nobody answers at the address yet, or the answer went to a frozen host.
                last = ex.GetBaseException().Message;
            }

            await Task.Delay(10);
        }

        throw new TimeoutException($"{name} did not serve {PublicUrl} within {limit} (last: {last})\n{Logs()}");
    }

    /// <summary>Until <paramref name="name"/> is Master holding the address, the other is Backup, and only its host has the address.</summary>
    public async Task WaitUntilSettledAsync(string name, TimeSpan limit)
    {
        var (leader, other) = name == "lb-1" ? (Lb1, Lb2) : (Lb2, Lb1);
        var watch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if ((await leader.StatusAsync()).Serving && (other.HasExited || (await other.StatusAsync()).State == "Backup")
                    && (await VipHoldersAsync()).SequenceEqual([name]))
                {
                    await WaitUntilServedByAsync(name, limit);
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
            {
                // A node is restarting.
            }

            if (watch.Elapsed > limit)
            {
                throw new TimeoutException($"{name} did not settle as the only holder of {Vip} within {limit}\n{Logs()}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Which load balancers' hosts have the virtual IP on eth0 right now.</summary>
    public async Task<List<string>> VipHoldersAsync()
    {
        var holders = new List<string>();
        foreach (var name in new[] { "lb-1", "lb-2" })
        {
            if ((await Network.AddressesAsync(name)).Contains($" {Vip}/", StringComparison.Ordinal))
            {
                holders.Add(name);
            }
        }

        return holders;
    }

    public string Logs() => $"--- lb-1:\n{Lb1?.Logs()}\n--- lb-2:\n{Lb2?.Logs()}";

    public async ValueTask DisposeAsync()
    {
        foreach (var lb in new[] { Lb1, Lb2 })
        {
            if (lb is not null)
            {
                await lb.DisposeAsync();
            }
        }

        if (_web is not null)
        {
            await _web.DisposeAsync();
        }

        _probe?.Dispose();
        await Network.DisposeAsync();
        try
        {
            Directory.Delete(_tls, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}
