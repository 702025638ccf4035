using Foobar.TestSupport;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Foobar.Proxy.Tests;

/// <summary>
/// Issue 10: a client's bad request must never count against a destination. Passive checks here are as strict as
/// they can be set (one failure takes a destination out), so any miscounted client error shows.
/// </summary>
public sealed class BadInputHealthTests
{
    private const int Limit = 64 * 1024;

    private static readonly Dictionary<string, string?> StrictPassive = new()
    {
        ["Upstream:HealthCheck:Passive"] = "true",
        ["Upstream:HealthCheck:PassiveErrorLimit"] = "1",
        ["Upstream:HealthCheck:PassiveReactivation"] = "00:01:00",
    };

    [Fact]
    public async Task Post_OversizedBodiesStreamedToDestinationThatRefusesThem_NoDestinationTakenOut()
    {
        // The load balancer's shape: bodies stream through, the upstream (like the app) answers 413 and stops reading.
        await using var a = await EchoUpstream.StartAsync("a", maxBodyBytes: Limit);
        await using var b = await EchoUpstream.StartAsync("b", maxBodyBytes: Limit);
        await using var proxy = await ProxyHost.StartAsync([a.Url, b.Url], StrictPassive);

        for (var i = 0; i < 8; i++)
        {
            using var response = await proxy.Client.PostAsync("/api/messages", new ByteArrayContent(new byte[1024 * 1024]));
            // Kestrel closes on the unread rest of the body, and the reset can beat its 413 to the proxy (a 502 then,
            // seen on a loaded machine). Either way it is the client's doing and must not count.
            Assert.Contains(response.StatusCode, new[] { HttpStatusCode.RequestEntityTooLarge, HttpStatusCode.BadGateway });
        }

        await AssertAllInAsync(proxy);
    }

    [Fact]
    public async Task Post_UploadsAbandonedMidway_NoDestinationTakenOut()
    {
        await using var a = await EchoUpstream.StartAsync("a");
        await using var b = await EchoUpstream.StartAsync("b");
        await using var proxy = await ProxyHost.StartAsync([a.Url, b.Url], StrictPassive);

        for (var i = 0; i < 6; i++)
        {
            await AbandonUploadAsync(proxy.Client.BaseAddress!);
        }

        await AssertAllInAsync(proxy);
    }

    [Fact]
    public async Task Post_OverConfiguredLimit_413BeforeAnyDestinationSeesIt()
    {
        await using var a = await EchoUpstream.StartAsync("a");
        await using var proxy = await ProxyHost.StartAsync([a.Url], new Dictionary<string, string?> { ["Upstream:MaxRequestBodyBytes"] = $"{Limit}" });

        using var declared = await proxy.Client.PostAsync("/api/messages", new ByteArrayContent(new byte[Limit + 1]));
        using var chunked = await proxy.Client.PostAsync("/api/messages", new StreamContent(new MemoryStream(new byte[Limit + 1])));
        using var atLimit = await proxy.Client.PostAsync("/api/messages", new ByteArrayContent(Encoding.ASCII.GetBytes(new string('x', Limit))));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, declared.StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, chunked.StatusCode);
        Assert.Equal(HttpStatusCode.OK, atLimit.StatusCode);
        Assert.Equal(Limit, (await EchoUpstream.ReadAsync(atLimit)).Body.Length);
        Assert.Equal(1, a.Requests);
    }

    [Fact]
    public async Task Post_OverConfiguredLimitBehindAStreamingProxy_Always413()
    {
        // The stack's shape: a streaming proxy (the LB) in front of one with the limit (the web tier). The limited
        // hop drains the declared body rather than resetting, so its 413 always reaches the client.
        await using var app = await EchoUpstream.StartAsync("app");
        await using var web = await ProxyHost.StartAsync([app.Url], new Dictionary<string, string?> { ["Upstream:MaxRequestBodyBytes"] = $"{Limit}" });
        await using var lb = await ProxyHost.StartAsync([web.Client.BaseAddress!.ToString().TrimEnd('/')], StrictPassive);

        for (var i = 0; i < 8; i++)
        {
            using var response = await lb.Client.PostAsync("/api/messages", new ByteArrayContent(new byte[1024 * 1024]));
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        }

        await AssertAllInAsync(lb);
        Assert.Equal(0, app.Requests);
    }

    [Fact]
    public async Task Post_ChunkedUnderConfiguredLimit_ForwardedWhole()
    {
        await using var a = await EchoUpstream.StartAsync("a");
        await using var proxy = await ProxyHost.StartAsync([a.Url], new Dictionary<string, string?> { ["Upstream:MaxRequestBodyBytes"] = $"{Limit}" });

        using var response = await proxy.Client.PostAsync("/api/messages", new StreamContent(new MemoryStream(Encoding.ASCII.GetBytes("hello"))));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("hello", (await EchoUpstream.ReadAsync(response)).Body);
    }

    [Fact]
    public async Task Post_UploadAbandonedBeforeConfiguredLimit_NeverReachesDestination()
    {
        await using var a = await EchoUpstream.StartAsync("a");
        await using var proxy = await ProxyHost.StartAsync(
            [a.Url],
            new Dictionary<string, string?>(StrictPassive) { ["Upstream:MaxRequestBodyBytes"] = $"{Limit}" });

        await AbandonUploadAsync(proxy.Client.BaseAddress!);
        using var after = await proxy.Client.GetAsync("/api/messages");

        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal(1, a.Requests);
    }

    /// <summary>Declares a 50 000-byte body, sends 1 000 bytes, and hangs up.</summary>
    private static async Task AbandonUploadAsync(Uri proxy)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(proxy.Host, proxy.Port);
        var head = $"POST /api/messages HTTP/1.1\r\nHost: {proxy.Authority}\r\nContent-Type: application/json\r\nContent-Length: 50000\r\n\r\n";
        await socket.SendAsync(Encoding.ASCII.GetBytes(head + new string('x', 1000)));
        await Task.Delay(200);
        socket.Close(0);
        await Task.Delay(100);
    }

    private static async Task AssertAllInAsync(ProxyHost proxy)
    {
        // A miscounted error marks a destination at once; give YARP's thread-pool update time to show it.
        await Task.Delay(300);
        Assert.All(proxy.Cluster.Destinations(), d => Assert.NotEqual("unhealthy", d.Passive));
    }
}
