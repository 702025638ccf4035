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
/// it: deploy, the load balancer pair electing one holder of the virtual IP, browse through that address, a rolling
/// update of the web tier while clients keep reading (no request may fail), a killed web task replaced by the swarm,
/// the Master load balancer's container killed (the virtual IP served again, by the other or by the new task the swarm
/// starts, which ends up holding it), and the stack removed without leaving anything behind.
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

        // 1. Deployed: every long-running service at its replicas, and the site answers on the virtual IP.
        await WaitUntilAsync("every service running and the API answering", async () =>
        {
            var replicas = await stack.ReplicasAsync();
            return replicas["postgres"] == "1/1" && replicas["app"] == "2/2" && replicas["web"] == "2/2" && replicas["lb-1"] == "1/1"
                && replicas["lb-2"] == "1/1" && await ApiAnswersAsync(stack);
        }, stack);
        Log($"stack up and serving on the virtual IP after {clock.Elapsed.TotalSeconds:F0} s");

        // The secrets are the swarm's own (encrypted in its Raft log, mounted under /run/secrets), one per file.
        Assert.Equal(
            new[] { "admin_token", "election_key", "postgres_password", "postgres_superuser_password", "postgres_witness_password" }.Select(stack.Service),
            (await DockerCli.LinesAsync("secret", "ls", "--filter", $"label=com.docker.stack.namespace={stack.Name}", "--format", "{{.Name}}")).Order(StringComparer.Ordinal));

        // 1b. The pair: lb-1 (priority 200) alone holds the virtual IP, each load balancer runs as uid 1654 with exactly
        // NET_ADMIN and NET_RAW (cap_add honoured by `docker stack deploy`), and its admin listener is on loopback only.
        await SettledHolderAsync(stack, "lb-1", TimeSpan.FromSeconds(90));
        foreach (var lb in new[] { "lb-1", "lb-2" })
        {
            var container = Assert.Single(await stack.ContainersAsync(lb));
            var status = await DockerCli.CheckedAsync(["exec", container, "cat", "/proc/1/status"]);
            Assert.Matches(@"(?m)^Uid:\s+1654\s", status);
            Assert.Matches(@"(?m)^CapEff:\s+0000000000003000$", status);
            var listeners = await AdminListenersAsync(container);
            Assert.True(listeners.Count > 0 && listeners.All(a => a == "0100007F"), $"{lb}'s admin port 9101 listens on {string.Join(", ", listeners)} (hex), not on 127.0.0.1 only");
        }

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
        using (var admin = new HttpClient { Timeout = TimeSpan.FromSeconds(3) })
        {
            // From the lan (this host's foot on it), lb-1's own address refuses the admin port.
            var address = (await DockerCli.CheckedAsync(["inspect", Assert.Single(await stack.ContainersAsync("lb-1")), "--format",
                $"{{{{(index .NetworkSettings.Networks \"{stack.LanNetwork}\").IPAddress}}}}"])).Trim();
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => admin.GetAsync(new Uri($"http://{address}:9101/status")));
        }

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
            Log($"election transitions so far: {string.Join("; ", await stack.ElectionTransitionsAsync())}");
            // A 503 that an app server produced is the app tier's answer to a database slower than its 1 s connect /
            // 2 s command timeouts (seen under a load average of 45), not a request the web rollout lost.
            var lost = loop.Failures.Where(f => !f.Contains(": 503 from app-", StringComparison.Ordinal)).ToList();
            Assert.True(lost.Count == 0 && loop.Succeeded > 50, $"rolling update: {loop}");
        }

        var after = await stack.HealthyContainersAsync("web");
        Assert.Equal(2, after.Count);
        Assert.Empty(after.Intersect(before));

        // 3b. A version that never gets healthy (here: its healthcheck always fails) is rolled back by the swarm
        // (failure_action: rollback, rollback_config), and since a new task must be healthy before an old one stops,
        // clients see nothing of it.
        var rollback = Stopwatch.StartNew();
        await using (var loop = new RequestLoop(stack.Endpoint))
        {
            var broken = await DockerCli.RunAsync(
                ["service", "update", "--detach=false", "--quiet", "--health-cmd", "false", "--health-interval", "2s", "--health-retries", "1",
                    "--health-start-period", "0s", "--health-timeout", "5s", stack.Service("web")], TimeSpan.FromMinutes(4));
            await WaitUntilAsync("the broken web update rolled back", async () =>
                (await DockerCli.CheckedAsync(["service", "inspect", stack.Service("web"), "--format", "{{.UpdateStatus.State}}"])).Trim() == "rollback_completed", stack);
            await WaitUntilAsync("two healthy web tasks after the rollback", async () => (await stack.HealthyContainersAsync("web")).Count == 2, stack);
            await loop.StopAsync();
            var restored = await DockerCli.CheckedAsync(["service", "inspect", stack.Service("web"), "--format", "{{json .Spec.TaskTemplate.ContainerSpec.Healthcheck.Test}}"]);
            Log($"broken web version rolled back after {rollback.Elapsed.TotalSeconds:F0} s (docker service update exited {broken.ExitCode}); meanwhile {loop}; " +
                $"the old tasks kept running: {(await stack.HealthyContainersAsync("web")).Order().SequenceEqual(after.Order())}");
            Assert.Contains("WebServer.dll", restored, StringComparison.Ordinal);
            var lost = loop.Failures.Where(f => !f.Contains(": 503 from app-", StringComparison.Ordinal)).ToList();
            Assert.True(lost.Count == 0 && loop.Succeeded > 20, $"rolled-back update: {loop}");
        }

        after = await stack.HealthyContainersAsync("web");

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

        // 5. The Master's container killed (a load balancer's host failing): the virtual IP is served again, by lb-2 or
        // by the new lb-1 task the swarm starts, which in the end holds the address (higher priority).
        var master = Assert.Single(await stack.ContainersAsync("lb-1"));
        await using (var probe = new FailoverProbe(stack.Endpoint))
        {
            await WaitUntilAsync("the probe answered by lb-1", () => Task.FromResult(probe.FirstAnswerFrom("lb-1", TimeSpan.Zero) is not null), stack);
            var killedAt = probe.Elapsed;
            await DockerCli.CheckedAsync(["kill", master]);
            var deadAt = probe.Elapsed;

            // The virtual IP answers again: from lb-2, or from the swarm's new lb-1 task if that started and preempted
            // lb-2 before lb-2 held the address. With the witness lb-2 first waits out the dead Master's 5 s lease and the
            // takeover guard; in a CI rehearsal the swarm had lb-1 running again 3 s after the kill, and it preempted lb-2
            // 0.3 s before lb-2 would have taken the address. Either answer is the kernel's routing, not a view.
            TimeSpan? ServedAgain() => new[] { probe.FirstAnswerFrom("lb-2", killedAt), probe.FirstAnswerFrom("lb-1", deadAt) }.Where(t => t is not null).Min();
            await WaitUntilAsync("the virtual IP answering again (from lb-2 or a new lb-1 task)", () => Task.FromResult(ServedAgain() is not null), stack);
            var servedAgain = ServedAgain()!.Value - killedAt;
            var by = probe.FirstAnswerFrom("lb-2", killedAt) is { } lb2At && lb2At - killedAt == servedAgain ? "lb-2" : "a new lb-1 task";
            var gap = probe.LongestGap(killedAt, probe.Elapsed);
            Log($"killed lb-1's container: the virtual IP answered from {by} {servedAgain.TotalMilliseconds:F0} ms after `docker kill` began " +
                $"(longest gap between answers {gap.TotalMilliseconds:F0} ms; failed: {string.Join(", ", probe.Failures.Take(20))})");

            var rescheduled = Stopwatch.StartNew();
            await WaitUntilAsync("a new lb-1 task healthy", async () => (await stack.HealthyContainersAsync("lb-1")) is [var fresh] && fresh != master, stack);
            var backAt = probe.Elapsed;
            await SettledHolderAsync(stack, "lb-1", TimeSpan.FromSeconds(60));
            await Task.Delay(TimeSpan.FromSeconds(2));
            await probe.StopAsync();
            Log($"a new lb-1 task healthy {rescheduled.Elapsed.TotalSeconds:F0} s after the virtual IP answered again; it holds the address " +
                $"(longest gap {probe.LongestGap(backAt, probe.Elapsed).TotalMilliseconds:F0} ms); {probe.Answered} answers, {probe.Failures.Count} failed in all");
            // lb-2's Master_Down_Interval at the stack's 1 s advertisements is 3.6 s, and a new Master's first bind of the
            // public listeners is part of a takeover in address mode: 2.8 s on the loaded CI machine under compose
            // (docs/containers.md). Measured here: 2.8-4.2 s. Generous, as there.
            Assert.True(servedAgain < TimeSpan.FromSeconds(15), $"the virtual IP answered again only {servedAgain} after the kill ({by})");
        }

        // 6. Removed: nothing of the stack is left on the engine.
        await stack.RemoveAsync();
        Assert.Empty(await stack.LeftoversAsync());
        Log($"whole scenario: {clock.Elapsed.TotalSeconds:F0} s (load average {LoadAverage()})");
    }

    /// <summary>
    /// Until <paramref name="expected"/>'s task alone has had the virtual IP for 2 s (lb-1 preempts lb-2 one
    /// Master_Down_Interval after first hearing it, 3.2 s at 1 s advertisements, so lb-2 may hold it alone first). Two
    /// holders are allowed only for a planned handover's overlap (the new Master adds the address before the old one
    /// removes it) or while two tasks that started together have not heard each other yet; longer than 10 s fails.
    /// </summary>
    private static async Task SettledHolderAsync(SwarmStack stack, string expected, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var since = DateTime.UtcNow;
        var last = "";
        while (true)
        {
            var holders = await stack.VirtualIpHoldersAsync();
            var now = string.Join(", ", holders);
            if (now != last)
            {
                (last, since) = (now, DateTime.UtcNow);
            }

            Assert.False(holders.Count > 1 && DateTime.UtcNow - since > TimeSpan.FromSeconds(10), $"two tasks hold {stack.VirtualIp} for over 10 s: {now}");
            if (holders.Count == 1 && holders[0] == expected && DateTime.UtcNow - since >= TimeSpan.FromSeconds(2))
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{expected} not the only holder of {stack.VirtualIp} for 2 s within {timeout} (last: '{last}')");
            await Task.Delay(250);
        }
    }

    /// <summary>The local addresses (hex, as /proc/net/tcp prints them) of the sockets listening on 9101 in the container.</summary>
    private static async Task<IReadOnlyList<string>> AdminListenersAsync(string container)
    {
        var listeners = new List<string>();
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            var lines = (await DockerCli.CheckedAsync(["exec", container, "cat", table])).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            // sl local_address rem_address st ...: state 0A is LISTEN.
            listeners.AddRange(lines.Skip(1).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Where(f => f[3] == "0A" && f[1].EndsWith(":238D", StringComparison.Ordinal)).Select(f => f[1][..^5]));
        }

        return listeners;
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
                Assert.Fail($"not within {Converge.TotalMinutes} minutes: {what} (load average {LoadAverage()}); the stack's tasks:\n{tasks.Output}\n{await ElectionEventsAsync(stack)}");
            }

            await Task.Delay(TimeSpan.FromSeconds(1));
        }
    }

    /// <summary>The load balancers' election, endpoint and witness events (warnings and above), for a failure's message.</summary>
    private static async Task<string> ElectionEventsAsync(SwarmStack stack)
    {
        var lines = new List<string>();
        foreach (var service in new[] { "lb-1", "lb-2" })
        {
            // Bounded: without --tail, `docker service logs` of a swarm with dead tasks ran past 2 minutes once.
            CommandLine.Result logs;
            try
            {
                logs = await DockerCli.RunAsync(["service", "logs", "--raw", "--timestamps", "--tail", "300", $"{stack.Name}_{service}"], TimeSpan.FromSeconds(30));
            }
            catch (TimeoutException ex)
            {
                lines.Add($"{service}: {ex.Message.Split('\n')[0]}");
                continue;
            }

            lines.AddRange(logs.Output.Split('\n')
                .Where(line => line.Contains("\"@l\":\"Warning\"", StringComparison.Ordinal) || line.Contains("\"@l\":\"Error\"", StringComparison.Ordinal))
                .TakeLast(40)
                .Select(line => $"{service}: {line}"));
        }

        return $"the load balancers' warnings:\n{string.Join("\n", lines)}";
    }

    private static string LoadAverage() => File.ReadAllText("/proc/loadavg").Split(' ')[0];

    private void Log(string line) => output.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {line}");
}
