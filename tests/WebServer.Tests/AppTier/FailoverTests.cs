using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Foobar.TestSupport;

namespace Foobar.WebServer.Tests.AppTier;

/// <summary>Kills app servers under a web server of its own (on the shared database), so the other tests keep theirs.</summary>
[Collection(WebTierCollection.Name)]
public sealed class FailoverTests(WebTierFixture tier) : IAsyncLifetime
{
    private readonly int _managementPort = FreePorts.Next();
    private ServiceNode _app3 = null!;
    private ServiceNode _app4 = null!;
    private ServiceNode _web = null!;
    private HttpClient _client = null!;
    private HttpClient _management = null!;

    public async Task InitializeAsync()
    {
        _app3 = Nodes.App("app-3", tier.ConnectionString);
        _app4 = Nodes.App("app-4", tier.ConnectionString);
        await Task.WhenAll(_app3.StartAsync(), _app4.StartAsync());
        _web = await Nodes.Web("web-2", [_app3, _app4], _managementPort).StartAsync();
        _client = new HttpClient { BaseAddress = _web.BaseUrl, Timeout = TimeSpan.FromSeconds(15) };
        _management = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_managementPort}"), Timeout = TimeSpan.FromSeconds(15) };
        await Poll.UntilAsync(async () => await WebTierFixture.AvailableAppServersAsync(_management) == 2, TimeSpan.FromSeconds(30), "both app servers healthy");
    }

    [Fact]
    public async Task GetLoop_OneOfTwoAppServersKilled_NoFailedGet()
    {
        var failures = new List<string>();
        var servedBy = new List<string>();
        // app-3 is killed once it has served (at least 1.5 s in): on a loaded machine the first 1.5 s held only a few
        // requests, and the balancer's random choice had once sent them all to app-4.
        var earliestKill = TimeSpan.FromSeconds(1.5);
        var runFor = TimeSpan.FromSeconds(6); // past fall (3 x 2 s): active checks have caught up by then
        var stopAt = TimeSpan.FromSeconds(30);
        var clock = Stopwatch.StartNew();
        var killed = false;

        while (clock.Elapsed < stopAt)
        {
            if (!killed && clock.Elapsed >= earliestKill && servedBy.Contains("app-3"))
            {
                _app3.Kill();
                killed = true;
                stopAt = clock.Elapsed + runFor;
            }

            using var response = await _client.GetAsync("/api/messages?limit=5");
            if (response.StatusCode == HttpStatusCode.OK)
            {
                servedBy.Add(response.Headers.GetValues("X-Served-By").Single());
            }
            else
            {
                failures.Add($"{clock.Elapsed.TotalSeconds:F2}s {(int)response.StatusCode}");
            }
        }

        Assert.True(killed, $"app-3 served none of {servedBy.Count} requests in {stopAt.TotalSeconds} s");
        Assert.Empty(failures);
        Assert.True(servedBy.Count > 20, $"only {servedBy.Count} requests in {stopAt.TotalSeconds} s");
        Assert.Equal("app-4", servedBy[^1]);
    }

    [Fact]
    public async Task ApiGet_AllAppServersDeadThenOneBack_Immediate503ProblemThenTrafficResumes()
    {
        var app3Port = _app3.Port;
        _app3.Kill();
        _app4.Kill();
        await Task.WhenAll(_app3.Process.Exited, _app4.Process.Exited);

        var clock = Stopwatch.StartNew();
        using var unavailable = await _client.GetAsync("/api/messages");
        var took = clock.Elapsed;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, unavailable.StatusCode);
        Assert.True(took < TimeSpan.FromSeconds(2), $"503 took {took.TotalMilliseconds:F0} ms");
        Assert.Equal("application/problem+json", unavailable.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(unavailable.Headers.RetryAfter);
        using (var problem = JsonDocument.Parse(await unavailable.Content.ReadAsStringAsync()))
        {
            Assert.Equal(503, problem.RootElement.GetProperty("status").GetInt32());
        }

        // The web tier stays ready and keeps serving the site: the LB must keep sending users here for the 503 page.
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync("/health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync("/")).StatusCode);

        await using var revived = Nodes.App("app-3", tier.ConnectionString, app3Port);
        await revived.StartAsync();
        clock.Restart();
        await Poll.UntilAsync(
            async () =>
            {
                using var response = await _client.GetAsync("/api/messages?limit=1");
                return response.StatusCode == HttpStatusCode.OK && response.Headers.GetValues("X-Served-By").Single() == "app-3";
            },
            TimeSpan.FromSeconds(30),
            "traffic back on the revived app-3");
        // Rise 2 x inter 2 s, plus the passive hold-off: well under the bound on a loaded machine.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(25), $"took {clock.Elapsed.TotalSeconds:F1} s");
    }

    public async Task DisposeAsync()
    {
        _client?.Dispose();
        _management?.Dispose();
        await _web.DisposeAsync();
        await _app3.DisposeAsync();
        await _app4.DisposeAsync();
    }
}
