using System.Net;
using Foobar.TestSupport;

namespace Foobar.Proxy.Tests;

/// <summary>Active and passive health with the never-panic destination policy, on real sockets.</summary>
public sealed class ProxyHealthTests
{
    private static readonly Dictionary<string, string?> FastChecks = new()
    {
        ["Upstream:HealthCheck:Enabled"] = "true",
        ["Upstream:HealthCheck:Passive"] = "true",
        ["Upstream:HealthCheck:Interval"] = "00:00:00.200",
        ["Upstream:HealthCheck:Timeout"] = "00:00:00.150",
        ["Upstream:HealthCheck:Rise"] = "2",
        ["Upstream:HealthCheck:Fall"] = "2",
    };

    [Fact]
    public async Task Get_OneDestinationNotReady_NeverRoutedThere()
    {
        await using var sick = await EchoUpstream.StartAsync("sick");
        await using var good = await EchoUpstream.StartAsync("good");
        sick.Ready = false;
        await using var proxy = await ProxyHost.StartAsync([sick.Url, good.Url], FastChecks);
        await Poll.UntilAsync(() => proxy.Cluster.Destinations().Count(d => d.Health == "unhealthy") == 1, TimeSpan.FromSeconds(20));

        for (var i = 0; i < 10; i++)
        {
            using var response = await proxy.Client.GetAsync("/items");
            Assert.Equal("good", (await EchoUpstream.ReadAsync(response)).Name);
        }

        Assert.Equal(0, sick.Requests);
    }

    [Fact]
    public async Task Get_AllDestinationsUnhealthy_503WithoutTryingThem()
    {
        await using var a = await EchoUpstream.StartAsync("a");
        await using var b = await EchoUpstream.StartAsync("b");
        a.Ready = b.Ready = false;
        await using var proxy = await ProxyHost.StartAsync([a.Url, b.Url], FastChecks);
        await Poll.UntilAsync(() => proxy.Cluster.Destinations().All(d => d.Health == "unhealthy"), TimeSpan.FromSeconds(20));

        using var response = await proxy.Client.GetAsync("/items");

        // YARP's default (HealthyOrPanic) would send this to a server its own checks found dead.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(0, a.Requests + b.Requests);
    }

    [Fact]
    public async Task Destination_ReadyAgain_BackAfterRisePasses()
    {
        await using var flaky = await EchoUpstream.StartAsync("flaky");
        flaky.Ready = false;
        await using var proxy = await ProxyHost.StartAsync([flaky.Url], FastChecks);
        await Poll.UntilAsync(() => proxy.Cluster.Destinations().Single().Health == "unhealthy", TimeSpan.FromSeconds(20));

        flaky.Ready = true;
        await Poll.UntilAsync(() => proxy.Cluster.Destinations().Single().Health == "healthy", TimeSpan.FromSeconds(20));

        using var response = await proxy.Client.GetAsync("/items");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Get_DestinationRefusesRequests_TakenOutAtErrorLimit()
    {
        await using var good = await EchoUpstream.StartAsync("good");
        var dead = $"http://127.0.0.1:{FreePorts.Next()}";
        await using var proxy = await StartWithPassiveErrorLimitAsync(dead, good.Url);

        // Round robin: every other request goes to the dead destination (and is retried on the good one).
        for (var i = 0; i < 4; i++)
        {
            using var response = await proxy.Client.GetAsync("/items");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal("unknown", DeadOne().Passive);
        for (var i = 0; i < 2; i++)
        {
            using var response = await proxy.Client.GetAsync("/items");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // YARP applies the new health to the rotation on the thread pool: wait for it, don't race it.
        await Poll.UntilAsync(() => DeadOne() is { Passive: "unhealthy", Available: false }, TimeSpan.FromSeconds(20));
        var retriesSoFar = proxy.Retries;
        for (var i = 0; i < 4; i++)
        {
            using var response = await proxy.Client.GetAsync("/items");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // Out of rotation: no request pays for a retry any more.
        Assert.Equal(retriesSoFar, proxy.Retries);
        Assert.Equal(3, retriesSoFar);

        DestinationStatus DeadOne() => proxy.Cluster.Destinations().Single(d => d.Address.StartsWith(dead, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Post_DestinationRefusesConnections_TakenOutAtErrorLimit()
    {
        // A body does not excuse a destination that is not there: a refused connection counts (a reset during the
        // upload does not, see BadInputHealthTests).
        await using var good = await EchoUpstream.StartAsync("good");
        var dead = $"http://127.0.0.1:{FreePorts.Next()}";
        await using var proxy = await StartWithPassiveErrorLimitAsync(dead, good.Url);

        for (var i = 0; i < 6; i++)
        {
            using var response = await proxy.Client.PostAsync("/api/messages", new StringContent("{\"author\":\"a\",\"text\":\"b\"}"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await Poll.UntilAsync(
            () => proxy.Cluster.Destinations().Single(d => d.Address.StartsWith(dead, StringComparison.Ordinal)) is { Passive: "unhealthy" },
            TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task Get_EveryDestinationRefuses_PassiveChecksTakeOutOnlyHalf()
    {
        var deadA = $"http://127.0.0.1:{FreePorts.Next()}";
        var deadB = $"http://127.0.0.1:{FreePorts.Next()}";
        await using var proxy = await ProxyHost.StartAsync(
            [deadA, deadB],
            new Dictionary<string, string?> { ["Upstream:HealthCheck:Passive"] = "true", ["Upstream:HealthCheck:PassiveErrorLimit"] = "1" });

        for (var i = 0; i < 6; i++)
        {
            using var response = await proxy.Client.GetAsync("/items");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        }

        Assert.Equal(1, proxy.Cluster.Destinations().Count(d => d.Passive == "unhealthy"));
    }

    [Fact]
    public async Task Drain_Destination_NoNewRequestsUntilReady()
    {
        await using var a = await EchoUpstream.StartAsync("a");
        await using var b = await EchoUpstream.StartAsync("b");
        await using var proxy = await ProxyHost.StartAsync([a.Url, b.Url]);
        var aId = proxy.Cluster.Destinations().Single(d => a.Url.StartsWith(d.Address, StringComparison.Ordinal)).Id;

        Assert.True(proxy.Cluster.SetDrained(aId, drained: true));
        for (var i = 0; i < 6; i++)
        {
            using var response = await proxy.Client.GetAsync("/items");
            Assert.Equal("b", (await EchoUpstream.ReadAsync(response)).Name);
        }

        Assert.True(proxy.Cluster.SetDrained(aId, drained: false));
        var names = new HashSet<string>();
        for (var i = 0; i < 6; i++)
        {
            using var response = await proxy.Client.GetAsync("/items");
            names.Add((await EchoUpstream.ReadAsync(response)).Name);
        }

        Assert.Contains("a", names);
        Assert.False(proxy.Cluster.SetDrained("no-such-destination", drained: true));
    }

    /// <summary>A proxy over <paramref name="dead"/> and <paramref name="good"/> with passive checks at an error limit of 3.</summary>
    private static Task<ProxyHost> StartWithPassiveErrorLimitAsync(string dead, string good) =>
        ProxyHost.StartAsync(
            [dead, good],
            new Dictionary<string, string?>
            {
                ["Upstream:HealthCheck:Passive"] = "true",
                ["Upstream:HealthCheck:PassiveErrorLimit"] = "3",
                ["Upstream:HealthCheck:PassiveReactivation"] = "00:01:00",
            });
}
