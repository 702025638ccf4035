using System.Net;
using Foobar.LoadBalancer.Tests.Support;
using Foobar.TestSupport;

namespace Foobar.LoadBalancer.Tests.Routing;

/// <summary>Host routing through a real load balancer process: served hosts, the www redirect, foreign hosts.</summary>
[Collection(LoadBalancerCollection.Name)]
public sealed class HostRoutingTests(LoadBalancerFixture fixture)
{
    private static readonly HttpClient Client = new(new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(5) };

    [Theory]
    [InlineData("www.foobar.com")]
    [InlineData("localhost")]
    [InlineData("WWW.FOOBAR.COM")]
    public async Task Get_ServedHost_ForwardedToWebServerWithForwardedHeadersAndVia(string host)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(fixture.Balancer.PublicUrl, "/echo"));
        request.Headers.Host = $"{host}:{fixture.Balancer.HttpPort}";
        request.Headers.Add("X-Forwarded-Host", "forged.example");

        using var response = await Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = NamedUpstream.ParseEcho(await response.Content.ReadAsStringAsync());
        Assert.Equal("127.0.0.1", seen["X-Forwarded-For"]);
        Assert.Equal("http", seen["X-Forwarded-Proto"]);
        Assert.Equal($"{host}:{fixture.Balancer.HttpPort}", seen["X-Forwarded-Host"]);
        Assert.Contains(fixture.Balancer.Node.Name, seen["Via"], StringComparison.Ordinal);
        Assert.Contains(fixture.Balancer.Node.Name, response.Headers.Via.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_ApexHost_Redirects301ToWwwKeepingPathAndQuery()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(fixture.Balancer.PublicUrl, "/board/page?x=1&y=%20z"));
        request.Headers.Host = "foobar.com";

        using var response = await Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.MovedPermanently, response.StatusCode);
        Assert.Equal("http://www.foobar.com/board/page?x=1&y=%20z", response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task Get_ApexHostWithPort_RedirectKeepsPort()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(fixture.Balancer.PublicUrl, "/a"));
        request.Headers.Host = $"foobar.com:{fixture.Balancer.HttpPort}";

        using var response = await Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.MovedPermanently, response.StatusCode);
        Assert.Equal($"http://www.foobar.com:{fixture.Balancer.HttpPort}/a", response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task Get_UnknownHost_Misdirected421AndNeverForwarded()
    {
        var before = fixture.First.Requests + fixture.Second.Requests;
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(fixture.Balancer.PublicUrl, "/"));
        request.Headers.Host = "evil.example";

        using var response = await Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.MisdirectedRequest, response.StatusCode);
        Assert.Contains("www.foobar.com", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(before, fixture.First.Requests + fixture.Second.Requests);
    }

    [Fact]
    public async Task Get_ManyRequests_SpreadOverBothWebServers()
    {
        var names = new HashSet<string>();
        for (var i = 0; i < 10; i++)
        {
            using var response = await Client.GetAsync(new Uri(fixture.Balancer.PublicUrl, "/"));
            names.Add(response.Headers.GetValues("X-Backend").Single());
        }

        Assert.Equal(["backend-1", "backend-2"], names.Order());
    }
}
