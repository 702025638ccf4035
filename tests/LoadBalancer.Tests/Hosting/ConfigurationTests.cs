using System.Net;
using Foobar.LoadBalancer.Tests.Support;
using Foobar.TestSupport;

namespace Foobar.LoadBalancer.Tests.Hosting;

public sealed class ConfigurationTests
{
    [Theory]
    [InlineData("Admin:Url", "not a url", "Admin:Url")]
    [InlineData("Admin:Token", "short", "Admin:Token")]
    [InlineData("Limits:MaxRequestBodySize", "-5", "Limits:MaxRequestBodySize")]
    [InlineData("Limits:RequestHeadersTimeout", "banana", "RequestHeadersTimeout")]
    [InlineData("WebServers:Destinations:0", "ftp://web-1", "WebServers:Destinations:0")]
    [InlineData("Public:HttpUrl", "http://www.foobar.com:8080", "Public:HttpUrl")]
    [InlineData("Tls:CertificatePath", "/nonexistent/cert.pem", "Tls:")]
    public async Task Start_BadSetting_RefusesNamingTheKey(string key, string value, string named)
    {
        var settings = LoadBalancerProcess.Settings(["http://127.0.0.1:9"], FreePorts.Next(), FreePorts.Next(), FreePorts.Next(), Path.GetTempPath());
        settings[key] = value;
        await using var node = new ServiceNode("LoadBalancer", "lb-bad", settings);

        var (exitCode, output) = await node.RunToCompletionAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(2, exitCode);
        Assert.Contains(named, output, StringComparison.Ordinal);
        Assert.Contains("bad configuration", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Appsettings_WebServersChanged_NewDestinationUsedWithoutRestart()
    {
        await using var first = await NamedUpstream.StartAsync("backend-1");
        await using var second = await NamedUpstream.StartAsync("backend-2");
        var root = Directory.CreateTempSubdirectory("foobar-lb-root-").FullName;
        var appsettings = Path.Combine(root, "appsettings.json");
        await File.WriteAllTextAsync(appsettings, $$"""{ "WebServers": { "Destinations": [ "{{first.Url}}" ] } }""");
        await using var balancer = await LoadBalancerProcess.StartAsync([], arguments: ["--contentRoot", root]);
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await balancer.WaitForAvailableAsync(client, 1, TimeSpan.FromSeconds(10));

        await File.WriteAllTextAsync(appsettings, $$"""{ "WebServers": { "Destinations": [ "{{first.Url}}", "{{second.Url}}" ] } }""");

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (second.Requests == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the added web server got no request within 10 s of the change");
            using var response = await client.GetAsync(balancer.PublicUrl);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await Task.Delay(50);
        }

        Directory.Delete(root, recursive: true);
    }

    [Fact]
    public async Task Healthcheck_AdminListenerUpOrDown_ExitCodeFollows()
    {
        await using var backend = await NamedUpstream.StartAsync("backend-1");
        await using var balancer = await LoadBalancerProcess.StartAsync([backend.Url]);
        await using var up = new ServiceNode("LoadBalancer", "hc", new Dictionary<string, string?> { ["Admin:Url"] = balancer.AdminUrl.ToString().TrimEnd('/') }, null, "healthcheck");
        await using var down = new ServiceNode("LoadBalancer", "hc", new Dictionary<string, string?> { ["Admin:Url"] = $"http://127.0.0.1:{FreePorts.Next()}" }, null, "healthcheck");

        var (upCode, upOutput) = await up.RunToCompletionAsync(TimeSpan.FromSeconds(20));
        var (downCode, _) = await down.RunToCompletionAsync(TimeSpan.FromSeconds(20));

        Assert.True(upCode == 0, upOutput);
        Assert.Equal(1, downCode);
    }
}
