using System.Net;
using System.Text.Json;
using Foobar.TestSupport;

namespace Foobar.WebServer.Tests.Site;

[Collection(WebTierCollection.Name)]
public sealed class ManagementTests(WebTierFixture tier)
{
    [Theory]
    [InlineData("/internal/status")]
    [InlineData("/metrics")]
    public async Task ManagementPath_OnPublicPort_NotFound(string path)
    {
        using var response = await tier.Client.GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain("appServers", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task InternalStatus_OnManagementPort_ThisNodeAndEachAppServer()
    {
        using var response = await tier.Management.GetAsync("/internal/status");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var status = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = status.RootElement;
        Assert.Equal("web-1", root.GetProperty("node").GetString());
        Assert.True(root.GetProperty("ready").GetBoolean());
        var apps = root.GetProperty("appServers").EnumerateArray().ToList();
        Assert.Equal(2, apps.Count);
        Assert.All(apps, a => Assert.Equal("healthy", a.GetProperty("health").GetString()));
        Assert.All(apps, a => Assert.True(a.GetProperty("available").GetBoolean()));
    }

    [Fact]
    public async Task Metrics_OnManagementPort_PrometheusText()
    {
        var text = await tier.Management.GetStringAsync("/metrics");

        Assert.Contains("# TYPE", text);
    }

    [Fact]
    public async Task Metrics_ProcessFamilies_WithoutTheOpenHandlesThatCostAStatPerDescriptor()
    {
        // The stack dashboard and the alert rules read CPU, working set and start time; the open handle count made
        // every scrape stat each file descriptor twice (ProcessMetrics).
        var text = await tier.Management.GetStringAsync("/metrics");
        var values = text.Split('\n').Where(line => !line.StartsWith('#') && line.Contains(' '))
            .ToDictionary(line => line[..line.LastIndexOf(' ')], line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));

        Assert.True(values["process_cpu_seconds_total"] > 0);
        Assert.True(values["process_working_set_bytes"] > 1024 * 1024);
        Assert.InRange(values["process_start_time_seconds"], DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        Assert.True(values["process_num_threads"] > 1);
        Assert.True(values["dotnet_collection_count_total{generation=\"0\"}"] >= 0);
        Assert.DoesNotContain("process_open_handles", text);
    }

    [Fact]
    public async Task HealthcheckCommand_ReadyServer_ExitsZeroElseOne()
    {
        var ok = new ServiceNode("WebServer", "hc", null, null, "healthcheck", new Uri(tier.Web.BaseUrl, "/health/ready").ToString());
        var dead = new ServiceNode("WebServer", "hc", null, null, "healthcheck", $"http://127.0.0.1:{FreePorts.Next()}/health/ready");

        Assert.Equal(0, (await ok.RunToCompletionAsync(TimeSpan.FromSeconds(30))).ExitCode);
        Assert.Equal(1, (await dead.RunToCompletionAsync(TimeSpan.FromSeconds(30))).ExitCode);
    }

    [Fact]
    public async Task Start_BadAppServersSetting_RefusedNamingTheKey()
    {
        await using var node = new ServiceNode("WebServer", "web-bad", new Dictionary<string, string?> { ["AppServers:Destinations:0"] = "not a url" });

        var (code, output) = await node.RunToCompletionAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(2, code);
        Assert.Contains("AppServers:Destinations:0", output);
    }
}
