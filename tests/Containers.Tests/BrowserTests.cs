using Foobar.TestSupport;
using System.Text.RegularExpressions;
using Foobar.Containers.Tests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Foobar.Containers.Tests;

/// <summary>
/// A real Chromium browsing http://www.foobar.com/ served by the containers: the name is mapped to the published port
/// the way a hosts-file line would (--host-resolver-rules).
/// </summary>
[Collection(ComposeStackCollection.Name)]
public sealed class BrowserTests(ComposeStackFixture stack) : IAsyncLifetime
{
    private static readonly Regex[] Path = [new("^lb-[12]$"), new(@"^web-\d+$"), new(@"^app-\d+$"), new("^PostgreSQL$")];

    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;

    public async Task InitializeAsync()
    {
        SetDefaultExpectTimeout(30_000);
        _playwright = await Playwright.CreateAsync();
        _browser = await Chromium.LaunchAsync(_playwright, stack.HttpPort);
    }

    [Fact]
    public async Task WwwFoobarCom_PostAndLike_PathShowsLbWebAppByName()
    {
        await stack.WaitHealthyAsync(TimeSpan.FromMinutes(2));
        var page = await _browser.NewPageAsync();
        var text = $"through the containers {Guid.NewGuid():N}";

        await page.GotoAsync("http://www.foobar.com/", new PageGotoOptions { Timeout = 60_000 });

        var path = page.Locator("#request-path .hop");
        await Expect(path).ToHaveTextAsync(Path);

        await page.FillAsync("#author", "browser");
        await page.FillAsync("#text", text);
        await page.ClickAsync("#post-button");

        var message = page.Locator(".message", new PageLocatorOptions { HasText = text });
        await Expect(message).ToHaveCountAsync(1);
        await message.Locator("button.like").ClickAsync();
        await Expect(message.Locator("button.like")).ToHaveTextAsync("♥ 1");
        await Expect(path).ToHaveTextAsync(Path);

        await page.ReloadAsync();
        await Expect(page.Locator(".message", new PageLocatorOptions { HasText = text }).Locator("button.like")).ToHaveTextAsync("♥ 1");
    }

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
