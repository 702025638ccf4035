using Foobar.Deployment.Tests.Support;

namespace Foobar.Deployment.Tests;

/// <summary>The database stays off the edge: only the tiers that must talk to PostgreSQL share a network with it.</summary>
public sealed class NetworkLayoutTests
{
    [Fact]
    public async Task Postgres_IsOnlyOnTheDataNetwork()
    {
        var compose = await ComposeFile.LoadAsync();

        Assert.Equal(["data"], Networks(compose, "postgres"));
    }

    [Fact]
    public async Task DataNetwork_HoldsOnlyPostgresAndItsClients()
    {
        var compose = await ComposeFile.LoadAsync();

        Assert.Equal(["app", "migrate", "postgres"], OnNetwork(compose, "data"));
    }

    [Fact]
    public async Task EdgeServices_ShareNoNetworkWithPostgres()
    {
        var compose = await ComposeFile.LoadAsync();
        var edge = OnNetwork(compose, "edge");

        // vip, the load balancers in its namespace and (monitoring profile) prometheus; none is on data.
        Assert.Equal(["lb-1", "lb-2", "prometheus", "vip"], edge);
        Assert.All(edge, service => Assert.DoesNotContain("data", Networks(compose, service)));
        var reachPostgres = compose.Services.Keys.Where(s => s != "postgres" && Networks(compose, s).Intersect(Networks(compose, "postgres")).Any());
        Assert.Equal(["app", "migrate"], reachPostgres.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task LoadBalancers_ReachWebServers_NotAppServers()
    {
        var compose = await ComposeFile.LoadAsync();

        Assert.NotEmpty(Networks(compose, "lb-1").Intersect(Networks(compose, "web")));
        Assert.Empty(Networks(compose, "lb-1").Intersect(Networks(compose, "app")));
        Assert.NotEmpty(Networks(compose, "web").Intersect(Networks(compose, "app")));
    }

    [Fact]
    public async Task BackendNetworks_AreInternal()
    {
        var compose = await ComposeFile.LoadAsync();
        var networks = compose.Root["networks"]!;

        Assert.Equal("true", networks["data"]?["internal"]?.ToString().ToLowerInvariant());
        Assert.Equal("true", networks["web"]?["internal"]?.ToString().ToLowerInvariant());
        Assert.Equal("true", networks["lb"]?["internal"]?.ToString().ToLowerInvariant());
    }

    [Fact]
    public async Task AdminListeners_BindVipsFixedEdgeAddress_WhichNoWebOrAppContainerShares()
    {
        var compose = await ComposeFile.LoadAsync();
        var subnet = compose.Root["networks"]!["edge"]!["ipam"]!["config"]![0]!["subnet"]!.ToString();
        var vipAddress = compose.Services["vip"].Node["networks"]!["edge"]!["ipv4_address"]!.ToString();

        Assert.True(System.Net.IPNetwork.Parse(subnet).Contains(System.Net.IPAddress.Parse(vipAddress)), $"{vipAddress} is not in edge's {subnet}");
        foreach (var (name, port) in new[] { ("lb-1", 9101), ("lb-2", 9102) })
        {
            // A specific address, not 0.0.0.0: the listener is not on vip's `lb` side, where the web servers are.
            Assert.Equal($"http://{vipAddress}:{port}", compose.Services[name].Environment["Admin__Url"]);
        }

        // Every service that could reach edge is a load balancer's own namespace or the monitoring profile's scraper.
        Assert.DoesNotContain("web", OnNetwork(compose, "edge"));
        Assert.DoesNotContain("app", OnNetwork(compose, "edge"));
        Assert.Equal(["lb-1", "lb-2", "vip", "web"], OnNetwork(compose, "lb"));
    }

    /// <summary>A service's networks; one in another's namespace (network_mode: service:X) is on X's.</summary>
    private static IReadOnlyList<string> Networks(ComposeFile compose, string name)
    {
        var service = compose.Services[name];
        if (service.NetworkMode is { } mode)
        {
            return mode.StartsWith("service:", StringComparison.Ordinal)
                ? Networks(compose, mode["service:".Length..])
                : throw new InvalidOperationException($"{name}: network_mode {mode} leaves the stack's networks");
        }

        // No networks key means Compose's "default" network, which this stack must not use.
        return service.Networks.Count > 0 ? [.. service.Networks.Order(StringComparer.Ordinal)] : ["default"];
    }

    private static List<string> OnNetwork(ComposeFile compose, string network) =>
        [.. compose.Services.Keys.Where(s => Networks(compose, s).Contains(network)).Order(StringComparer.Ordinal)];
}
