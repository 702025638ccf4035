using System.Net;
using Foobar.Containers.Tests.Support;
using Foobar.TestSupport;
using Xunit.Abstractions;

namespace Foobar.Containers.Tests;

/// <summary>
/// The load balancers' admin listeners (drain, dashboard, /metrics) answer the host's loopback and nobody inside the
/// stack: a web container reaches vip's public port but neither admin port, by name or by vip's edge address.
/// </summary>
[Collection(ComposeStackCollection.Name)]
public sealed class AdminListenerTests(ComposeStackFixture stack, ITestOutputHelper output)
{
    [Fact]
    public async Task AdminPorts_AnswerTheHost_NotTheWebContainers()
    {
        await stack.WaitHealthyAsync(TimeSpan.FromMinutes(2));
        using var host = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        foreach (var loadBalancer in new[] { "lb-1", "lb-2" })
        {
            using var ready = await host.GetAsync(new Uri(stack.AdminUrl(loadBalancer), "/health/ready"));
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }

        var web = (await stack.Compose.ContainerIdsAsync("web"))[0];

        // The control: vip resolves from a web server and its public listener answers with some HTTP status.
        Assert.Matches(@": \d{3}$", await ProbeFromAsync(web, "http://vip:8080/"));
        foreach (var target in new[] { "http://vip:9101/", "http://vip:9102/", $"http://{stack.EdgePrefix}.2:9101/", $"http://{stack.EdgePrefix}.2:9102/" })
        {
            var probe = await ProbeFromAsync(web, target);
            output.WriteLine(probe);
            Assert.DoesNotMatch(@": \d{3}$", probe);
        }
    }

    /// <summary>The web image's own `healthcheck URL` subcommand (no curl in the images): "URL: status" or "URL: error".</summary>
    private static async Task<string> ProbeFromAsync(string container, string url)
    {
        var result = await DockerCli.RunAsync(["exec", container, "dotnet", "WebServer.dll", "healthcheck", url], TimeSpan.FromSeconds(60));
        return result.Output.Trim();
    }
}
