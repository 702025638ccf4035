using System.Net;
using System.Net.Http.Headers;
using Foobar.LoadBalancer.Tests.Support;

namespace Foobar.LoadBalancer.Tests.Admin;

/// <summary>The admin listener: its own port only, bearer token on actions, status and dashboard.</summary>
[Collection(LoadBalancerCollection.Name)]
public sealed class AdminApiTests(LoadBalancerFixture fixture)
{
    private static readonly HttpClient Client = new() { Timeout = TimeSpan.FromSeconds(5) };

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer wrong-token-0123456789")]
    [InlineData("Basic dGVzdDp0ZXN0")]
    public async Task PostDrain_WithoutValidToken_Unauthorized(string? authorization)
    {
        var name = (await AdminStatus.GetAsync(Client, fixture.Balancer.AdminUrl)).Servers[0].Name;
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(fixture.Balancer.AdminUrl, $"/servers/{Uri.EscapeDataString(name)}/drain"));
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using var response = await Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        Assert.All((await AdminStatus.GetAsync(Client, fixture.Balancer.AdminUrl)).Servers, s => Assert.Equal("ready", s.State));
    }

    [Fact]
    public async Task PostDrain_UnknownServerWithToken_NotFound()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(fixture.Balancer.AdminUrl, "/servers/nope:1/drain"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", LoadBalancerProcess.AdminToken);

        using var response = await Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("/status")]
    [InlineData("/metrics")]
    [InlineData("/health/ready")]
    public async Task AdminPath_OnPublicPort_ForwardedToWebServerNotAnsweredByAdmin(string path)
    {
        using var response = await Client.GetAsync(new Uri(fixture.Balancer.PublicUrl, path));

        // The backend's catch-all answers with its name: the request went through the proxy like any other path.
        Assert.True(response.Headers.Contains("X-Backend"), $"{path} on the public port was answered by the load balancer itself");
        Assert.DoesNotContain("\"servers\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AdminPost_OnPublicPort_NeverReachesAdminApi()
    {
        var name = (await AdminStatus.GetAsync(Client, fixture.Balancer.AdminUrl)).Servers[0].Name;
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(fixture.Balancer.PublicUrl, $"/servers/{Uri.EscapeDataString(name)}/drain"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", LoadBalancerProcess.AdminToken);

        using var response = await Client.SendAsync(request);

        Assert.True(response.Headers.Contains("X-Backend"));
        Assert.All((await AdminStatus.GetAsync(Client, fixture.Balancer.AdminUrl)).Servers, s => Assert.Equal("ready", s.State));
    }

    [Fact]
    public async Task UnknownPath_OnAdminPort_NotFoundAndNotForwarded()
    {
        var before = fixture.First.Requests + fixture.Second.Requests;

        using var response = await Client.GetAsync(new Uri(fixture.Balancer.AdminUrl, "/index.html"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(before, fixture.First.Requests + fixture.Second.Requests);
    }

    [Fact]
    public async Task GetStatus_AfterTraffic_ListsEveryServerWithCountsAndLatency()
    {
        for (var i = 0; i < 4; i++)
        {
            (await Client.GetAsync(new Uri(fixture.Balancer.PublicUrl, "/"))).Dispose();
        }

        var status = await AdminStatus.GetAsync(Client, fixture.Balancer.AdminUrl);

        Assert.Equal(fixture.Balancer.Node.Name, status.Node);
        Assert.Equal(2, status.Servers.Count);
        Assert.Equal(2, status.AvailableServers);
        Assert.All(status.Servers, s => Assert.Equal("healthy", s.Health));
        Assert.True(status.Requests >= 4);
        Assert.Contains(status.Servers, s => s.Requests >= 2);
        using var raw = await Client.GetAsync(new Uri(fixture.Balancer.AdminUrl, "/status"));
        var body = await raw.Content.ReadAsStringAsync();
        Assert.Contains("\"latencyMs\":{\"p50\":", body, StringComparison.Ordinal);
        Assert.Contains("\"uptimeSeconds\":", body, StringComparison.Ordinal);
        Assert.Contains("\"inFlight\":", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetDashboard_OnAdminPort_HtmlPageWithScript()
    {
        using var page = await Client.GetAsync(fixture.Balancer.AdminUrl);
        using var script = await Client.GetAsync(new Uri(fixture.Balancer.AdminUrl, "/dashboard.js"));

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        Assert.Contains("<script src=\"/dashboard.js\">", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("fetch(\"/status\"", await script.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetMetrics_OnAdminPort_PrometheusText()
    {
        var metrics = await Client.GetStringAsync(new Uri(fixture.Balancer.AdminUrl, "/metrics"));

        Assert.Contains("# TYPE", metrics, StringComparison.Ordinal);
        Assert.Contains("kestrel", metrics, StringComparison.OrdinalIgnoreCase);
    }
}
