using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Foobar.Launcher.Postgres.Ha;
using Foobar.Launcher.Processes;
using Foobar.Launcher.Stack;
using Foobar.TestSupport;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Foobar.System.Tests;

/// <summary>
/// The Launcher with <c>--db-ha</c> (pg_auto_failover: monitor, primary, standby) under keyed POST writers and GET
/// readers through the public endpoint, while the primary is killed with SIGKILL and, later, the new primary is
/// stopped gracefully. Measures the write unavailability windows and how long the killed primary takes to come back as
/// a standby by itself (docs/database-ha.md records them).
/// </summary>
[Collection(DatabaseHaCollection.Name)]
public sealed class DatabaseFailoverTests(ITestOutputHelper output)
{
    // Generous bounds for a loaded 2-core machine; the measured values are printed and recorded in the docs.
    private static readonly TimeSpan KillWindowBound = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StopWindowBound = TimeSpan.FromSeconds(20);

    private readonly ConcurrentQueue<TimeSpan> _acknowledged = new();
    private readonly ConcurrentDictionary<string, (long Id, string Text)> _posted = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _unavailableAnswers;
    private int _readsOk;
    private int _readsFailed;
    private Func<string>? _launcherOutput;

    [Fact]
    public async Task KillThenStopPrimary_UnderLoad_EveryAcknowledgedPostStoredOnce_AndOldPrimaryRejoins()
    {
        await using var launcher = new LauncherProcess(null, "--db-ha", "--web", "1", "--app", "2");
        var stack = await launcher.StartAsync(TimeSpan.FromMinutes(6));
        _launcherOutput = () => launcher.Output;
        var first = DbNode(launcher, "primary");
        var second = DbNode(launcher, "secondary");
        using var client = new HttpClient { BaseAddress = new Uri(stack.Endpoint), Timeout = TimeSpan.FromSeconds(10) };
        var prefix = $"ha-{Guid.NewGuid():N}"[..11];

        using var stop = new CancellationTokenSource();
        Task[] traffic = [Writer(client, prefix, 1, stop.Token), Writer(client, prefix, 2, stop.Token), Reader(client, stop.Token), Reader(client, stop.Token)];
        await Task.Delay(3000);

        // 1. kill -9 the primary's pg_autoctl and PostgreSQL: the monitor promotes the standby.
        var killedAt = _clock.Elapsed;
        await launcher.SendAsync($"kill {first}");
        await WaitForAsync(launcher, second, r => r is "primary" or "wait_primary", TimeSpan.FromSeconds(120));
        await WaitForWriteAfterAsync(_clock.Elapsed, TimeSpan.FromSeconds(60));
        await Task.Delay(3000);
        var killWindow = LongestGapSince(killedAt);

        // 2. The old primary comes back by itself (the Launcher restarts a killed node after its restart delay, as
        //    systemd's Restart=always would) and pg_auto_failover rejoins it as a standby (pg_rewind): no operator step.
        await WaitForAsync(launcher, first, r => r == "secondary", AutoFailoverService.RestartDelay + TimeSpan.FromSeconds(180));
        var rejoined = _clock.Elapsed - killedAt;
        await WaitForAsync(launcher, second, r => r == "primary", TimeSpan.FromSeconds(60));

        // 3. Graceful stop of the new primary: the Launcher switches over first.
        var stoppedAt = _clock.Elapsed;
        await launcher.SendAsync($"stop {second}");
        await WaitForStateAsync(launcher, second, "stopped", TimeSpan.FromSeconds(120));
        await WaitForWriteAfterAsync(_clock.Elapsed, TimeSpan.FromSeconds(60));
        await Task.Delay(3000);
        var stopWindow = LongestGapSince(stoppedAt);

        await stop.CancelAsync();
        await Task.WhenAll(traffic);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"write unavailability: kill -9 of the primary {killWindow.TotalSeconds:0.00} s, graceful stop (switchover) {stopWindow.TotalSeconds:0.00} s; " +
            $"the killed primary back as a standby {rejoined.TotalSeconds:0.0} s after the kill (restart delay {AutoFailoverService.RestartDelay.TotalSeconds:0} s); " +
            $"{_posted.Count} acknowledged posts, {_unavailableAnswers} 502/503 answers retried; reads ok {_readsOk}, failed {_readsFailed}; load average {File.ReadAllText("/proc/loadavg").Trim()}"));

        Assert.True(_posted.Count > 20, $"only {_posted.Count} posts were acknowledged");
        foreach (var (key, (id, text)) in _posted)
        {
            // The same key again finds the first write: acknowledged posts survived both failovers and exist once.
            using var again = await client.SendAsync(PostRequest(key, text));
            Assert.Equal(HttpStatusCode.Created, again.StatusCode);
            Assert.Equal(id, (await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64());
        }

        Assert.Equal(_posted.Count, await CountMessagesWithPrefixAsync(client, prefix));
        Assert.True(killWindow < KillWindowBound, $"writes were unavailable for {killWindow} after kill -9 of the primary\n{launcher.Output}");
        Assert.True(stopWindow < StopWindowBound, $"writes were unavailable for {stopWindow} after a graceful stop of the primary\n{launcher.Output}");

        // An operator's stop is not a crash: the node stays down past the restart delay, until `start`.
        var restartWouldBeDue = stoppedAt + AutoFailoverService.RestartDelay + TimeSpan.FromSeconds(5) - _clock.Elapsed;
        if (restartWouldBeDue > TimeSpan.Zero)
        {
            await Task.Delay(restartWouldBeDue);
        }

        Assert.Equal("stopped", ReadNode(launcher, second)?.State);

        // The stopped node rejoins too; then `migrate` twice at once against the formation goes to the primary only.
        await launcher.SendAsync($"start {second}");
        await WaitForAsync(launcher, second, r => r == "secondary", TimeSpan.FromSeconds(180));
        var connectionString = HaConnectionString(launcher);
        var runs = await Task.WhenAll(MigrateAsync(connectionString, launcher.DataDirectory, 1), MigrateAsync(connectionString, launcher.DataDirectory, 2));
        Assert.All(runs, run => Assert.True(run.Code == 0, $"migrate failed ({run.Code}): {run.Output}"));

        await AssertAppSeesFormationAsync(client, launcher);
        await AssertDashboardShowsFormationAsync(client, launcher);
        await launcher.StopAsync();
        // Three PostgreSQL data directories (about 250 MB); nothing to keep once the test has passed.
        Directory.Delete(launcher.DataDirectory, recursive: true);
    }

    /// <summary>
    /// A Launcher started again after a failover brings the formation back, a primary and its standby, and serves
    /// writes: an existing formation starts both data nodes at once (one at a time, db-1, the standby, waited its whole
    /// start timeout for a primary that was not started yet).
    /// </summary>
    [Fact]
    public async Task RestartAfterFailover_FormationComesBackAndTakesWrites()
    {
        string[] arguments = ["--db-ha", "--web", "1", "--app", "1", "--lbs", "1"];
        await using var launcher = new LauncherProcess(null, arguments);
        await launcher.StartAsync(TimeSpan.FromMinutes(6));
        var first = DbNode(launcher, "primary");
        var second = DbNode(launcher, "secondary");
        await launcher.SendAsync($"kill {first}");
        await WaitForAsync(launcher, first, r => r == "secondary", AutoFailoverService.RestartDelay + TimeSpan.FromSeconds(180));
        await WaitForAsync(launcher, second, r => r == "primary", TimeSpan.FromSeconds(60));
        await launcher.StopAsync();

        await using var again = new LauncherProcess(launcher.DataDirectory, launcher.Ports, arguments);
        var clock = Stopwatch.StartNew();
        var stack = await again.StartAsync(TimeSpan.FromMinutes(2));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"restart after a failover: ready in {clock.Elapsed.TotalSeconds:0.0} s"));
        // A primary and its standby again. Which one is primary is the monitor's call: seen once, db-2 (the primary at
        // shutdown) was slower to report than db-1 and the monitor promoted db-1, a failover at start that loses nothing
        // (the app servers were stopped before the database).
        await WaitForAsync(again, first, r => r is "primary" or "secondary", TimeSpan.FromSeconds(60));
        await WaitForAsync(again, second, r => r is "primary" or "secondary", TimeSpan.FromSeconds(60));
        Assert.Equal(["primary", "secondary"], again.Stack!.Nodes.Where(n => n.Name.StartsWith("db-", StringComparison.Ordinal)).Select(n => n.Replication).Order(StringComparer.Ordinal));
        using var client = new HttpClient { BaseAddress = new Uri(stack.Endpoint), Timeout = TimeSpan.FromSeconds(10) };
        using var created = await client.SendAsync(PostRequest($"restart-{Guid.NewGuid():N}", "after a failover and a restart"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        await again.StopAsync();
        Directory.Delete(launcher.DataDirectory, recursive: true);
    }

    /// <summary>The dashboard's data: an app server's /internal/database names the primary, a synchronous standby and the failovers it saw.</summary>
    private static async Task AssertAppSeesFormationAsync(HttpClient client, LauncherProcess launcher)
    {
        var app = launcher.Stack!.Nodes.First(n => n.Role == "app");
        var primaryPort = new Uri(launcher.Stack.Nodes.Single(n => n.Name.StartsWith("db-", StringComparison.Ordinal) && n.Replication == "primary").Urls[0]).Port;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        JsonElement topology;
        do
        {
            await Task.Delay(500);
            topology = await client.GetFromJsonAsync<JsonElement>($"{app.AdminUrl}/internal/database");
        }
        while (!(topology.GetProperty("primary").GetString()!.EndsWith(string.Create(CultureInfo.InvariantCulture, $":{primaryPort}"), StringComparison.Ordinal)
            && topology.GetProperty("standbys").EnumerateArray().Any(s => s.GetProperty("syncState").GetString() is "sync" or "quorum"))
            && DateTime.UtcNow < deadline);

        Assert.EndsWith(string.Create(CultureInfo.InvariantCulture, $":{primaryPort}"), topology.GetProperty("primary").GetString());
        Assert.Contains(topology.GetProperty("standbys").EnumerateArray(), s => s.GetProperty("syncState").GetString() is "sync" or "quorum");
        Assert.True(topology.GetProperty("primaryChanges").GetInt64() >= 2, $"{app.Name} saw fewer than the two primary changes: {topology}");
    }

    /// <summary>
    /// The stack dashboard (lb-1's admin port): the primary and the standby by name, the standby's lag, a lane per
    /// database server and both primary changes among the transitions; the same page in Chromium, with a screenshot.
    /// </summary>
    private static async Task AssertDashboardShowsFormationAsync(HttpClient client, LauncherProcess launcher)
    {
        var admin = launcher.Stack!.Nodes.First(n => n.Name == "lb-1").AdminUrl!;
        var primary = DbNode(launcher, "primary");
        var standby = DbNode(launcher, "secondary");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        JsonElement view;
        do
        {
            await Task.Delay(500);
            view = await client.GetFromJsonAsync<JsonElement>($"{admin}/stack.json");
        }
        while (!(view.GetProperty("database").GetProperty("primary").GetString() == primary && ServerRole(view, standby) == "standby") && DateTime.UtcNow < deadline);

        var database = view.GetProperty("database");
        Assert.True(database.GetProperty("primary").GetString() == primary, $"the dashboard's primary is not {primary}: {database}");
        Assert.Equal("standby", ServerRole(view, standby));
        Assert.Equal(JsonValueKind.Number, database.GetProperty("servers").EnumerateArray().Single(s => s.GetProperty("name").GetString() == standby).GetProperty("lagBytes").ValueKind);
        // The kill made the standby primary, the graceful stop gave it back: both as transitions, named.
        var failovers = view.GetProperty("transitions").EnumerateArray()
            .Where(t => t.GetProperty("to").GetString() == "primary").Select(t => t.GetProperty("node").GetString()).ToList();
        Assert.True(failovers.Contains(standby) && failovers.Contains(primary), $"primary changes on the timeline: {string.Join(", ", failovers)}");

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Chromium.LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1800 } });
        await page.GotoAsync($"{admin}/stack");
        var expect = new LocatorAssertionsToHaveAttributeOptions { Timeout = 30_000 };
        await Assertions.Expect(page.Locator($"#health .card[data-node='{primary}']")).ToHaveAttributeAsync("data-replication", "primary", expect);
        await Assertions.Expect(page.Locator($"#health .card[data-node='{standby}']")).ToHaveAttributeAsync("data-replication", "standby", expect);
        await Assertions.Expect(page.Locator($"#health .card[data-node='{standby}']")).ToContainTextAsync("lag");
        await Assertions.Expect(page.Locator($"#timeline rect[data-node='{standby}'][data-state='primary']")).Not.ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#transitions")).ToContainTextAsync("database failover");
        var screenshots = Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(screenshots);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(screenshots, "stack-dashboard-database-failover.png"), FullPage = true });
    }

    private static string? ServerRole(JsonElement view, string name) =>
        view.GetProperty("database").GetProperty("servers").EnumerateArray()
            .Where(s => s.GetProperty("name").GetString() == name).Select(s => s.GetProperty("role").GetString()).FirstOrDefault();

    private async Task Writer(HttpClient client, string prefix, int worker, CancellationToken stop)
    {
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            var key = string.Create(CultureInfo.InvariantCulture, $"{prefix}-{worker}-{i}");
            var text = $"{key} written through a failover";
            _posted[key] = (await PostWithRetriesAsync(client, key, text), text);
            _acknowledged.Enqueue(_clock.Elapsed);
        }
    }

    private async Task Reader(HttpClient client, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var response = await client.GetAsync("/api/messages?limit=5", stop);
                Interlocked.Increment(ref response.IsSuccessStatusCode ? ref _readsOk : ref _readsFailed);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                Interlocked.Increment(ref _readsFailed);
            }

            await Task.Delay(50, CancellationToken.None);
        }
    }

    /// <summary>What a careful client does: the same Idempotency-Key on every attempt, retried on 502/503 and network errors.</summary>
    private async Task<long> PostWithRetriesAsync(HttpClient client, string key, string text)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            try
            {
                using var response = await client.SendAsync(PostRequest(key, text));
                if (response.StatusCode == HttpStatusCode.Created)
                {
                    return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
                }

                Assert.True(response.StatusCode is HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout,
                    $"POST {key} got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                Interlocked.Increment(ref _unavailableAnswers);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Retried with the same key.
            }

            Assert.True(DateTime.UtcNow < deadline, $"POST {key} still failing after 90 s");
            await Task.Delay(200);
        }
    }

    private static HttpRequestMessage PostRequest(string key, string text)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/messages") { Content = JsonContent.Create(new { author = "ha-test", text }) };
        request.Headers.Add("Idempotency-Key", key);
        return request;
    }

    /// <summary>The longest time without an acknowledged POST since <paramref name="since"/>: what a writer saw as the outage.</summary>
    private TimeSpan LongestGapSince(TimeSpan since)
    {
        var times = _acknowledged.Where(t => t >= since).Order().Prepend(since).ToList();
        return times.Zip(times.Skip(1), (a, b) => b - a).DefaultIfEmpty(_clock.Elapsed - since).Max();
    }

    private async Task WaitForWriteAfterAsync(TimeSpan after, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!_acknowledged.Any(t => t > after))
        {
            Assert.True(DateTime.UtcNow < deadline, $"no POST acknowledged within {timeout} after the database came back\n{_launcherOutput?.Invoke()}");
            await Task.Delay(100);
        }
    }

    private static string DbNode(LauncherProcess launcher, string replication) =>
        launcher.Stack!.Nodes.Single(n => n.Name.StartsWith("db-", StringComparison.Ordinal) && n.Replication == replication).Name;

    private static async Task WaitForAsync(LauncherProcess launcher, string name, Func<string?, bool> replication, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (ReadNode(launcher, name) is not { State: "running" } node || !replication(node.Replication))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{name} did not reach the expected replication state after {timeout}: {ReadNode(launcher, name)}\n{launcher.Output}");
            }

            await Task.Delay(200);
        }
    }

    private static async Task WaitForStateAsync(LauncherProcess launcher, string name, string state, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (ReadNode(launcher, name)?.State != state)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{name} not {state} after {timeout}\n{launcher.Output}");
            }

            await Task.Delay(200);
        }
    }

    private static StackFileNode? ReadNode(LauncherProcess launcher, string name)
    {
        try
        {
            return launcher.Stack?.Nodes.SingleOrDefault(n => n.Name == name);
        }
        catch (Exception ex) when (ex is IOException or JsonException)
        {
            return null; // Being rewritten at this moment.
        }
    }

    private static string HaConnectionString(LauncherProcess launcher)
    {
        var hosts = launcher.Stack!.Nodes.Where(n => n.Name.StartsWith("db-", StringComparison.Ordinal)).Select(n => new Uri(n.Urls[0])).Select(u => $"{u.Host}:{u.Port}");
        var user = Environment.UserName == "root" ? "postgres" : Environment.UserName;
        return $"Host={string.Join(',', hosts)};Database=foobar;Username={user};Target Session Attributes=primary";
    }

    private static async Task<(int Code, string Output)> MigrateAsync(string connectionString, string dataDirectory, int run)
    {
        await using var migrate = ChildProcess.Start(
            "dotnet",
            [ServicePaths.Dll("AppServer"), "migrate"],
            new Dictionary<string, string?> { ["ConnectionStrings__Foobar"] = connectionString, ["Node__Name"] = $"migrate-{run}" },
            logFile: Path.Combine(dataDirectory, "logs", $"migrate-test-{run}.log"),
            workingDirectory: RepoPaths.Root);
        migrate.CloseStandardInput();
        var code = await migrate.Exited.WaitAsync(TimeSpan.FromMinutes(2));
        return (code, string.Join("\n", migrate.LastLines(20)));
    }

    private static async Task<int> CountMessagesWithPrefixAsync(HttpClient client, string prefix)
    {
        var count = 0;
        string? before = null;
        do
        {
            var page = await client.GetFromJsonAsync<JsonElement>($"/api/messages?limit=100{(before is null ? "" : $"&before={before}")}");
            count += page.GetProperty("items").EnumerateArray().Count(m => m.GetProperty("text").GetString()!.StartsWith(prefix, StringComparison.Ordinal));
            before = page.GetProperty("nextBefore").ValueKind == JsonValueKind.Number ? page.GetProperty("nextBefore").GetInt64().ToString(CultureInfo.InvariantCulture) : null;
        }
        while (before is not null);

        return count;
    }
}
