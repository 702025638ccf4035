using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Foobar.Deployment.Tests.Support;
using Foobar.TestSupport;
using Xunit.Abstractions;

namespace Foobar.Deployment.Tests.Swarm;

/// <summary>
/// deploy/swarm/stack.yml on a real single-node swarm of the test's Docker engine, end to end as an operator would use
/// it: deploy, browse through the load balancer's published port, a rolling update of the web tier while clients keep reading (no request
/// may fail), a killed task replaced by the swarm, and the stack removed without leaving anything behind.
/// </summary>
public sealed class SwarmDeploymentTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Converge = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task Stack_OnASingleNodeSwarm_ServesRollsOutHealsAndIsRemoved()
    {
        await using var stack = new SwarmStack();
        var clock = Stopwatch.StartNew();
        await stack.DeployAsync(Log);

        // 1. Deployed: every long-running service at its replicas, and the site answers on the published port.
        await WaitUntilAsync("every service running and the API answering", async () =>
        {
            var replicas = await stack.ReplicasAsync();
            return replicas["postgres"] == "1/1" && replicas["app"] == "2/2" && replicas["web"] == "2/2" && replicas["lb"] == "1/1"
                && await ApiAnswersAsync(stack);
        }, stack);
        Log($"stack up and serving after {clock.Elapsed.TotalSeconds:F0} s");

        // 2. Browse: the page, a post and its read-back, and the path that served them.
        // Generous: the first write warms EF Core and the connection pool; on a loaded shared machine that took over 15 s.
        using var client = new HttpClient { BaseAddress = stack.Endpoint, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Host = "www.foobar.com";
        using var page = await client.GetAsync(new Uri("/", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        using var post = new HttpRequestMessage(HttpMethod.Post, "/api/messages") { Content = JsonContent.Create(new { author = "swarm", text = $"hello from {stack.Name}" }) };
        post.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        using var created = await client.SendAsync(post);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var read = await client.GetAsync(created.Headers.Location);
        var message = JsonDocument.Parse(await read.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal($"hello from {stack.Name}", message.GetProperty("text").GetString());
        Assert.Matches("^app-[12]$", message.GetProperty("createdBy").GetString());
        var via = string.Join(", ", read.Headers.Via.Select(v => v.ReceivedBy));
        Assert.Matches(@"^app-[12]$", string.Join(',', read.Headers.GetValues("X-Served-By")));
        Assert.Matches(@"web-[12].*lb-1", via);
        Log($"browsed: {read.Headers.GetValues("X-Served-By").Single()} via {via}");

        // 3. Rolling update of the web tier (a new task healthy before an old one stops) under a GET loop: 0 failed.
        var before = await stack.HealthyContainersAsync("web");
        var update = Stopwatch.StartNew();
        await using (var loop = new RequestLoop(stack.Endpoint))
        {
            await DockerCli.CheckedAsync(["service", "update", "--force", "--detach=false", "--quiet", stack.Service("web")], TimeSpan.FromMinutes(4));
            await Task.Delay(TimeSpan.FromSeconds(3));
            await loop.StopAsync();
            Log($"rolling update of web: {update.Elapsed.TotalSeconds:F0} s, {loop}");
            // A 503 that an app server produced is the app tier's answer to a database slower than its 1 s connect /
            // 2 s command timeouts (seen under a load average of 45), not a request the web rollout lost.
            var lost = loop.Failures.Where(f => !f.Contains(": 503 from app-", StringComparison.Ordinal)).ToList();
            Assert.True(lost.Count == 0 && loop.Succeeded > 50, $"rolling update: {loop}");
        }

        var after = await stack.HealthyContainersAsync("web");
        Assert.Equal(2, after.Count);
        Assert.Empty(after.Intersect(before));

        // 4. A killed task is replaced: the swarm starts a new one and it turns healthy.
        var victim = after[0];
        var kill = Stopwatch.StartNew();
        await using (var loop = new RequestLoop(stack.Endpoint))
        {
            await DockerCli.CheckedAsync(["kill", victim]);
            await WaitUntilAsync("the killed web task replaced by a healthy one", async () =>
            {
                var healthy = await stack.HealthyContainersAsync("web");
                return healthy.Count == 2 && !healthy.Contains(victim);
            }, stack);
            var replaced = kill.Elapsed;
            await loop.StopAsync();
            Log($"killed web task {victim[..12]}: a healthy replacement after {replaced.TotalSeconds:F1} s; meanwhile {loop}");
            Assert.True(loop.Succeeded > 0, $"nothing served while a web task was replaced: {loop}");
        }

        // 5. Removed: nothing of the stack is left on the engine.
        await stack.RemoveAsync();
        Assert.Empty(await stack.LeftoversAsync());
        Log($"whole scenario: {clock.Elapsed.TotalSeconds:F0} s (load average {LoadAverage()})");
    }

    private static async Task<bool> ApiAnswersAsync(SwarmStack stack)
    {
        try
        {
            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(stack.Endpoint, "/api/messages?limit=1"));
            request.Headers.Host = "www.foobar.com";
            using var response = await client.SendAsync(request);
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    private static async Task WaitUntilAsync(string what, Func<Task<bool>> condition, SwarmStack stack)
    {
        var deadline = DateTime.UtcNow + Converge;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                var tasks = await DockerCli.RunAsync(["stack", "ps", stack.Name, "--no-trunc", "--format", "{{.Name}} {{.CurrentState}} {{.Error}}"]);
                Assert.Fail($"not within {Converge.TotalMinutes} minutes: {what} (load average {LoadAverage()}); the stack's tasks:\n{tasks.Output}");
            }

            await Task.Delay(TimeSpan.FromSeconds(1));
        }
    }

    private static string LoadAverage() => File.ReadAllText("/proc/loadavg").Split(' ')[0];

    private void Log(string line) => output.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {line}");
}
