using Foobar.TestSupport;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Foobar.System.Tests.Monitoring;

/// <summary>
/// The stack dashboard (<c>/stack</c> on lb-2's admin port) in a real Chromium while lb-1, the leader, is killed:
/// readable names, every tier's health, and an election timeline that shows lb-1 stop and lb-2 take the endpoint,
/// with the gap between them. Screenshots are kept beside the test assembly (screenshots/).
/// </summary>
[Collection(StackCollection.Name)]
public sealed class StackDashboardBrowserTests(StackFixture stack) : IAsyncLifetime
{
    private static readonly string Screenshots = Path.Combine(AppContext.BaseDirectory, "screenshots");
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;

    public async Task InitializeAsync()
    {
        SetDefaultExpectTimeout(30_000);
        _playwright = await Playwright.CreateAsync();
        _browser = await Chromium.LaunchAsync(_playwright);
    }

    [Fact]
    public async Task KillLeader_TimelineShowsTheHandOverAndTheGap()
    {
        var page = await _browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1800 } });
        var errors = new List<string>();
        // Script errors only: the browser's own request for /favicon.ico is a 404 on the admin port by design.
        page.PageError += (_, error) => errors.Add(error);
        await page.GotoAsync($"{stack.Node("lb-2").AdminUrl}/stack");

        // Every node by name, healthy, PostgreSQL included; no address where a name belongs.
        foreach (var node in new[] { "lb-1", "lb-2", "web-1", "web-2", "app-1", "app-2", "PostgreSQL" })
        {
            await Expect(page.Locator($"#health .card[data-node='{node}']")).ToHaveAttributeAsync("data-state", "up");
        }

        await Expect(page.Locator("#health")).Not.ToContainTextAsync("127.0.0.1");
        // lb-1 holds the endpoint now. Earlier tests on the shared stack may have moved it and back (the timeline keeps
        // that history), so the checks below look at the last hold of each node.
        await Expect(page.Locator("#health .card[data-node='lb-1']")).ToContainTextAsync("holds the endpoint");
        await Expect(page.Locator("#timeline rect[data-node='lb-1'][data-state='holds']")).Not.ToHaveCountAsync(0);
        await Expect(page.Locator("#timeline rect[data-node='lb-2'][data-state='backup']")).Not.ToHaveCountAsync(0);
        await Expect(page.Locator("#traffic .charts[data-tier='app'] path[data-series='app-1']").First).ToBeAttachedAsync();
        await Expect(page.Locator("#resources path[data-series='web-2']").First).ToBeAttachedAsync();

        await stack.Launcher.SendAsync("kill lb-1");
        await stack.WaitForStateAsync("lb-1", "killed", TimeSpan.FromSeconds(15));
        try
        {
            await Expect(page.Locator("#timeline rect[data-node='lb-2'][data-state='holds']").First).ToBeAttachedAsync();
            await Expect(page.Locator("#timeline rect[data-node='lb-1'][data-state='down']")).Not.ToHaveCountAsync(0);
            await Expect(page.Locator("#health .card[data-node='lb-1']")).ToHaveAttributeAsync("data-state", "down");
            await Expect(page.Locator("#health .card[data-node='lb-2']")).ToContainTextAsync("holds the endpoint");
            await Expect(page.Locator("#timeline rect.gap")).Not.ToHaveCountAsync(0);
            Directory.CreateDirectory(Screenshots);
            var shot = Path.Combine(Screenshots, "stack-dashboard-failover.png");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = shot, FullPage = true });
            Assert.True(new FileInfo(shot).Length > 20_000, $"screenshot {shot} is nearly empty");

            // lb-1 held the endpoint until it went down, then lb-2 held it: in that order on the page's own time axis.
            // (The timeline is drawn from state samples, so lb-2's last hold is the one that began at the takeover.)
            var lb1Held = DateTimeOffset.Parse((await page.Locator("#timeline rect[data-node='lb-1'][data-state='holds']").Last.GetAttributeAsync("data-to"))!);
            var lb1Down = DateTimeOffset.Parse((await page.Locator("#timeline rect[data-node='lb-1'][data-state='down']").Last.GetAttributeAsync("data-from"))!);
            var lb2Holds = DateTimeOffset.Parse((await page.Locator("#timeline rect[data-node='lb-2'][data-state='holds']").Last.GetAttributeAsync("data-from"))!);
            Assert.Equal(lb1Held, lb1Down);
            Assert.True(lb2Holds > lb1Held, $"lb-2 holds from {lb2Holds:O}, lb-1 held until {lb1Held:O}");
            // The gap: from lb-1's last advertisement to lb-2's Master transition, about Master_Down_Interval (0.65 s
            // here); generous bounds for a loaded machine.
            var gapMs = double.Parse((await page.Locator("#timeline rect.gap").Last.GetAttributeAsync("data-ms"))!, global::System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(gapMs, 100, 10_000);
            Assert.Empty(errors);
        }
        finally
        {
            await stack.Launcher.SendAsync("start lb-1");
            await stack.WaitForStateAsync("lb-1", "running", TimeSpan.FromSeconds(90));
            await WaitForLeaderAsync("lb-1", TimeSpan.FromSeconds(90));
        }

        // Take-back (lb-1 has the higher priority): the timeline shows lb-1 holding again.
        await Expect(page.Locator("#timeline rect[data-node='lb-1'][data-state='holds']").Nth(1)).ToBeAttachedAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, "stack-dashboard-takeback.png"), FullPage = true });
    }

    private async Task WaitForLeaderAsync(string name, TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                var status = await http.GetFromJsonAsync<JsonElement>($"{stack.Node(name).AdminUrl}/status");
                if (status.GetProperty("election").GetProperty("holdsEndpoint").GetBoolean())
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Still starting.
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{name} does not hold the endpoint after {timeout}:\n{stack.Launcher.Output}");
            }

            await Task.Delay(200);
        }
    }

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
