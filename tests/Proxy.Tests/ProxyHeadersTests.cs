using Foobar.Proxy;
using Foobar.ServiceDefaults;
using Foobar.TestSupport;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Configuration;

namespace Foobar.Proxy.Tests;

public sealed class ProxyHeadersTests
{
    [Fact]
    public async Task Forward_RequestWithVia_ThisHopAppendedOnRequestAndResponse()
    {
        await using var upstream = await EchoUpstream.StartAsync("app", responseVia: "1.1 inner");
        await using var proxy = await ProxyHost.StartAsync([upstream.Url]);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/items");
        request.Headers.Add("Via", "1.1 lb-1");

        using var response = await proxy.Client.SendAsync(request);

        var echo = await EchoUpstream.ReadAsync(response);
        Assert.Equal($"1.1 lb-1, 1.1 {ProxyHost.Node}", echo.Via);
        Assert.Equal($"1.1 inner, 1.1 {ProxyHost.Node}", string.Join(", ", response.Headers.Via.Select(v => $"{v.ProtocolVersion} {v.ReceivedBy}")));
    }

    [Fact]
    public async Task Forward_PlainRequest_XForwardedForAndProtoPassedOn()
    {
        await using var upstream = await EchoUpstream.StartAsync("app");
        await using var proxy = await ProxyHost.StartAsync([upstream.Url]);

        using var response = await proxy.Client.GetAsync("/items");

        var echo = await EchoUpstream.ReadAsync(response);
        Assert.Equal("127.0.0.1", echo.ForwardedFor);
        Assert.Equal("http", echo.ForwardedProto);
    }

    [Theory]
    [InlineData("Upstream:Destinations:0", "ftp://127.0.0.1:21", "Upstream:Destinations:0")]
    [InlineData("Upstream:Destinations:0", "http://127.0.0.1:5101/api", "Upstream:Destinations:0")]
    [InlineData("Upstream:HealthCheck:Rise", "0", "Upstream:HealthCheck:Rise")]
    [InlineData("Upstream:HealthCheck:Timeout", "00:00:05", "Upstream:HealthCheck:Timeout")]
    [InlineData("Upstream:LoadBalancing", "Fastest", "Upstream:LoadBalancing")]
    public async Task Start_BadSetting_RefusedNamingTheKey(string key, string value, string named)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Upstream:Destinations:0"] = "http://127.0.0.1:5101",
            [key] = value,
        });
        builder.AddValidatedOptions<NodeOptions>(NodeOptions.Section);
        builder.AddProxyCluster(new ProxyDefinition { ClusterId = "bad", Section = "Upstream", Match = new RouteMatch { Path = "/{**rest}" } });
        await using var app = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(async () =>
        {
            app.MapProxyCluster();
            await app.StartAsync();
        });

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }
}
