using System.Net;
using Foobar.Proxy;
using Foobar.TestSupport;

namespace Foobar.Proxy.Tests;

/// <summary>The retry middleware on real sockets. Health checks are off so every request is balanced over both destinations.</summary>
public sealed class ProxyRetryTests
{
    private const int Requests = 10;

    [Fact]
    public async Task Get_OneDestinationRefusesConnections_EveryRequestSucceedsAndRetriesAreCounted()
    {
        await using var good = await EchoUpstream.StartAsync("good");
        await using var proxy = await ProxyHost.StartAsync([$"http://127.0.0.1:{FreePorts.Next()}", good.Url]);

        for (var i = 0; i < Requests; i++)
        {
            using var response = await proxy.Client.GetAsync($"/items/{i}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("good", (await EchoUpstream.ReadAsync(response)).Name);
        }

        // Round robin sends every other request to the dead destination first.
        Assert.InRange(proxy.Retries, Requests / 2 - 1, Requests / 2 + 1);
    }

    [Fact]
    public async Task Post_OneDestinationUnreachable_ConnectTimeoutResentElsewhere()
    {
        // A server whose address has gone (a removed container): connecting times out instead of being refused. Nothing
        // reached it, so even a POST without an Idempotency-Key is sent to the other destination (seen in the Swarm
        // rollout: a 504 from the load balancer 2 s after a web task's address went away).
        using var unreachable = new UnreachableUpstream();
        await using var good = await EchoUpstream.StartAsync("good");
        await using var proxy = await ProxyHost.StartAsync(
            [unreachable.Url, good.Url],
            new Dictionary<string, string?> { ["Upstream:ConnectTimeout"] = "00:00:00.300" });

        for (var i = 0; i < 4; i++)
        {
            using var response = await proxy.Client.PostAsync("/items", new StringContent($"item {i}"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("good", (await EchoUpstream.ReadAsync(response)).Name);
        }

        Assert.InRange(proxy.Retries, 1, 3);
        Assert.Equal(4, good.Requests);
    }

    [Fact]
    public async Task Get_OnlyDestinationUnreachable_503NotGatewayTimeout()
    {
        using var unreachable = new UnreachableUpstream();
        await using var proxy = await ProxyHost.StartAsync([unreachable.Url], new Dictionary<string, string?> { ["Upstream:ConnectTimeout"] = "00:00:00.300" });

        using var response = await proxy.Client.GetAsync("/items");

        // Nobody could take the request: the proxy's "no server" answer, as for a refused connection.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
    }

    [Fact]
    public async Task Get_DestinationHangsUpWithoutAnswer_RetriedOnTheOther()
    {
        await using var silent = new SilentUpstream();
        await using var good = await EchoUpstream.StartAsync("good");
        await using var proxy = await ProxyHost.StartAsync([silent.Url, good.Url]);

        for (var i = 0; i < Requests; i++)
        {
            using var response = await proxy.Client.GetAsync("/items");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.True(silent.Connections > 0, "the silent destination was never tried");
        Assert.Equal(Requests, good.Requests);
    }

    [Fact]
    public async Task Post_DestinationHangsUpWithoutAnswer_NotRepeatedSoNeverDoubled()
    {
        await using var silent = new SilentUpstream();
        await using var good = await EchoUpstream.StartAsync("good");
        await using var proxy = await ProxyHost.StartAsync([silent.Url, good.Url]);

        var ok = 0;
        var badGateway = 0;
        for (var i = 0; i < Requests; i++)
        {
            using var response = await proxy.Client.PostAsync("/items", new StringContent($"item {i}"));
            ok += response.StatusCode == HttpStatusCode.OK ? 1 : 0;
            badGateway += response.StatusCode == HttpStatusCode.BadGateway ? 1 : 0;
        }

        // The silent server may have acted on the POST: sending it again could do it twice.
        Assert.True(badGateway > 0, "no POST reached the silent destination");
        Assert.Equal(Requests, ok + badGateway);
        Assert.Equal(ok, good.Requests);
        Assert.Equal(0, proxy.Retries);
    }

    [Fact]
    public async Task Post_OneDestinationRefusesConnections_ResentWithTheSameBody()
    {
        await using var good = await EchoUpstream.StartAsync("good");
        await using var proxy = await ProxyHost.StartAsync([$"http://127.0.0.1:{FreePorts.Next()}", good.Url]);

        for (var i = 0; i < Requests; i++)
        {
            using var response = await proxy.Client.PostAsync("/items", new StringContent($"{{\"n\":{i}}}"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal($"{{\"n\":{i}}}", (await EchoUpstream.ReadAsync(response)).Body);
        }

        Assert.Equal(Requests, good.Requests);
        Assert.True(proxy.Retries > 0);
    }

    [Fact]
    public async Task Post_WithIdempotencyKeyUnderLoadBalancerPredicate_RetriedAfterHangUp()
    {
        await using var silent = new SilentUpstream();
        await using var good = await EchoUpstream.StartAsync("good");
        await using var proxy = await ProxyHost.StartAsync([silent.Url, good.Url], retryWhen: RetryPredicates.SafeMethodsOrIdempotencyKey);

        for (var i = 0; i < Requests; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/items") { Content = new StringContent($"keyed {i}") };
            request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
            using var response = await proxy.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal($"keyed {i}", (await EchoUpstream.ReadAsync(response)).Body);
        }
    }

    [Fact]
    public async Task Get_BodyLargerThanRetryBuffer_NotRetried()
    {
        await using var good = await EchoUpstream.StartAsync("good");
        await using var proxy = await ProxyHost.StartAsync(
            [$"http://127.0.0.1:{FreePorts.Next()}", good.Url],
            new Dictionary<string, string?> { ["Upstream:Retry:MaxBodyBytes"] = "16" });

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            using var response = await proxy.Client.PostAsync("/items", new StringContent(new string('x', 64)));
            statuses.Add(response.StatusCode);
        }

        // Unbuffered bodies cannot be re-sent: the refused half fails (503: no destination could be reached).
        Assert.Contains(HttpStatusCode.ServiceUnavailable, statuses);
        Assert.Contains(HttpStatusCode.OK, statuses);
        Assert.Equal(0, proxy.Retries);
    }

    [Fact]
    public async Task Get_EveryDestinationRefuses_Immediate503WithRetryAfter()
    {
        await using var proxy = await ProxyHost.StartAsync([$"http://127.0.0.1:{FreePorts.Next()}", $"http://127.0.0.1:{FreePorts.Next()}"]);

        var started = DateTime.UtcNow;
        using var response = await proxy.Client.GetAsync("/items");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(3), "a refused connection must not take long");
        Assert.Equal(1, proxy.Unavailable);
    }
}
