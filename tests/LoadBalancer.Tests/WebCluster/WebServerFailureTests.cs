using System.Diagnostics;
using System.Net;
using Foobar.LoadBalancer.Tests.Support;
using Foobar.TestSupport;

namespace Foobar.LoadBalancer.Tests.WebCluster;

/// <summary>Real web server processes (src/WebServer) killed with SIGKILL behind a real load balancer.</summary>
public sealed class WebServerFailureTests
{
    private static ServiceNode WebServer(string name, int? port = null) =>
        new("WebServer", name, new Dictionary<string, string?>
        {
            // No app tier in these tests: the web servers serve static pages, /api would be 503.
            ["AppServers:Destinations:0"] = $"http://127.0.0.1:{FreePorts.Next()}",
            ["Serilog:MinimumLevel:Default"] = "Warning",
        }, port);

    [Fact]
    public async Task GetLoop_WebServerKilled_NoFailedGetAndRetriesCounted()
    {
        await using var web1 = await WebServer("web-1").StartAsync();
        await using var web2 = await WebServer("web-2").StartAsync();
        await using var balancer = await LoadBalancerProcess.StartAsync([web1.BaseUrl.ToString(), web2.BaseUrl.ToString()]);
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };

        var failures = new List<string>();
        var servedBy = new List<(TimeSpan At, string Node)>();
        var clock = Stopwatch.StartNew();
        TimeSpan? killedAt = null;
        async Task Loop()
        {
            while (clock.Elapsed < TimeSpan.FromSeconds(3))
            {
                try
                {
                    using var response = await client.GetAsync(balancer.PublicUrl);
                    var node = response.Headers.TryGetValues("X-Served-By", out var values) ? values.First() : "?";
                    lock (servedBy)
                    {
                        servedBy.Add((clock.Elapsed, node));
                        if (response.StatusCode != HttpStatusCode.OK)
                        {
                            failures.Add($"{(int)response.StatusCode} at {clock.Elapsed}");
                        }
                    }
                }
                catch (HttpRequestException ex)
                {
                    lock (servedBy)
                    {
                        failures.Add($"{ex.Message} at {clock.Elapsed}");
                    }
                }
            }
        }

        var loops = Enumerable.Range(0, 4).Select(_ => Task.Run(Loop)).ToList();
        await Task.Delay(1000);
        web1.Kill();
        killedAt = clock.Elapsed;
        await Task.WhenAll(loops);

        Assert.Empty(failures);
        Assert.Contains(servedBy, s => s.Node == "web-1" && s.At < killedAt);
        Assert.Contains(servedBy, s => s.Node == "web-2" && s.At > killedAt + TimeSpan.FromSeconds(1));
        var metrics = await client.GetStringAsync(new Uri(balancer.AdminUrl, "/metrics"));
        Assert.Matches(@"foobar_proxy_retries\w*\{[^}]*cluster=""web""[^}]*\} [1-9]", metrics);
    }

    [Fact]
    public async Task Get_AllWebServersDown_Immediate503PageThenRecoversWhenOneReturns()
    {
        var web1 = await WebServer("web-1").StartAsync();
        var port = web1.Port;
        await using var balancer = await LoadBalancerProcess.StartAsync([web1.BaseUrl.ToString()]);
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };

        web1.Kill();
        await web1.DisposeAsync();
        await balancer.WaitForAvailableAsync(client, 0, TimeSpan.FromSeconds(5));

        for (var i = 0; i < 10; i++)
        {
            var watch = Stopwatch.StartNew();
            using var response = await client.GetAsync(balancer.PublicUrl);
            var body = await response.Content.ReadAsStringAsync();
            watch.Stop();
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.True(watch.Elapsed < TimeSpan.FromMilliseconds(100), $"503 took {watch.Elapsed.TotalMilliseconds} ms");
            Assert.Contains("briefly unavailable", body, StringComparison.Ordinal);
            Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
            Assert.NotNull(response.Headers.RetryAfter);
        }

        await using var back = await WebServer("web-1", port).StartAsync();
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            using var response = await client.GetAsync(balancer.PublicUrl);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                Assert.Equal("web-1", response.Headers.GetValues("X-Served-By").First());
                break;
            }

            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(5), "no recovery within 5 s of the web server's return");
            await Task.Delay(50);
        }
    }
}
