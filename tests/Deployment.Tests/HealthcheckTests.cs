using Foobar.Deployment.Tests.Support;
using Foobar.TestSupport;

namespace Foobar.Deployment.Tests;

/// <summary>
/// The images' HEALTHCHECK command, run as written against real servers: from the service's directory (the image's
/// WORKDIR), with the image's ENV and only the ports moved to free loopback ones.
/// </summary>
public sealed class HealthcheckTests
{
    [Fact]
    public async Task Healthcheck_LiveWebServer_ExitsZero()
    {
        await using var web = await new ServiceNode("WebServer", "web-hc", WebSettings()).StartAsync();

        var result = await RunHealthcheckAsync("Dockerfile.web", web.Port);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"http://127.0.0.1:{web.Port}/health/ready: 200", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Healthcheck_LiveLoadBalancer_ProbesItsAdminListener_ExitsZero()
    {
        await using var web = await new ServiceNode("WebServer", "web-hc", WebSettings()).StartAsync();
        var admin = FreePorts.Next();
        var settings = new Dictionary<string, string?>
        {
            ["Admin:Url"] = $"http://127.0.0.1:{admin}",
            ["Public:HttpUrl"] = $"http://127.0.0.1:{FreePorts.Next()}",
            ["Public:HttpsUrl"] = "",
            ["WebServers:Destinations:0"] = web.BaseUrl.ToString().TrimEnd('/'),
            ["WebServers:HealthCheck:Interval"] = "00:00:00.250",
            ["WebServers:HealthCheck:Timeout"] = "00:00:00.200",
            ["Election:Enabled"] = "false",
        };
        // ServiceNode probes its own port: give it the admin port, where a load balancer answers /health/ready.
        await using var lb = await new ServiceNode("LoadBalancer", "lb-hc", settings, admin).StartAsync(timeout: TimeSpan.FromSeconds(30));

        var result = await RunHealthcheckAsync("Dockerfile.lb", admin);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"http://127.0.0.1:{admin}/health/ready: 200", result.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Dockerfile.app")]
    [InlineData("Dockerfile.web")]
    [InlineData("Dockerfile.lb")]
    public async Task Healthcheck_NothingListening_ExitsNonZero(string dockerfile)
    {
        var port = FreePorts.Next();

        var result = await RunHealthcheckAsync(dockerfile, port);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains($"http://127.0.0.1:{port}/health/ready", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Healthcheck_ServerNotReady_ExitsNonZero()
    {
        // An app server without its database: alive, but /health/ready answers 503, and the container is unhealthy.
        var settings = new Dictionary<string, string?> { ["ConnectionStrings:Foobar"] = $"Host=127.0.0.1;Port={FreePorts.Next()};Database=foobar;Username=foobar" };
        await using var app = new ServiceNode("AppServer", "app-hc", settings);
        await app.StartAsync("/health/live");

        var result = await RunHealthcheckAsync("Dockerfile.app", app.Port);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"http://127.0.0.1:{app.Port}/health/ready: 503", result.Output, StringComparison.Ordinal);
    }

    private static Dictionary<string, string?> WebSettings() => new()
    {
        // Nothing needs to answer there: the web tier's readiness is its own site, not the app tier.
        ["AppServers:Destinations:0"] = $"http://127.0.0.1:{FreePorts.Next()}",
    };

    /// <summary>The HEALTHCHECK CMD of <paramref name="dockerfile"/>, with the image's ENV whose listener ports become <paramref name="port"/>.</summary>
    private static Task<CommandLine.Result> RunHealthcheckAsync(string dockerfile, int port)
    {
        var image = Dockerfile.Load(dockerfile);
        var command = image.Final.ExecForm("HEALTHCHECK");
        var environment = CommandLine.CleanDotnetEnvironment();
        foreach (var (key, value) in image.Final.Environment)
        {
            environment[key] = value;
        }

        // The one listener the healthcheck reads: the main one, or the load balancer's admin listener.
        var probed = image.Project == "LoadBalancer" ? "Admin__Url" : "ASPNETCORE_URLS";
        environment[probed] = new UriBuilder(image.Final.Environment[probed]) { Port = port }.Uri.ToString().TrimEnd('/');
        var directory = Path.GetDirectoryName(RepoPaths.ServiceDll(image.Project))!;
        return CommandLine.RunAsync(command[0], command[1..], directory, TimeSpan.FromSeconds(30), environment);
    }
}
