using Foobar.TestSupport;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Foobar.System.Tests;

/// <summary>
/// A real Chromium browsing http://www.foobar.com/ through the virtual endpoint, the name mapped to
/// 127.0.0.1 the way a hosts-file line would (Chromium's --host-resolver-rules), against the whole stack.
/// </summary>
[Collection(StackCollection.Name)]
public sealed class BrowserTests(StackFixture stack) : IAsyncLifetime
{
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;

    public async Task InitializeAsync()
    {
        SetDefaultExpectTimeout(20_000);
        _playwright = await Playwright.CreateAsync();
        _browser = await Chromium.LaunchAsync(_playwright, stack.Endpoint.Port);
    }

    [Fact]
    public async Task Site_ByName_PostListLikeAndShowWhichNodesServed()
    {
        var page = await _browser.NewPageAsync();
        var text = $"through the whole stack {Guid.NewGuid():N}";

        await page.GotoAsync("http://www.foobar.com/");

        var path = page.Locator("#request-path .hop");
        await Expect(path).ToHaveTextAsync([new Regex("^lb-[12]$"), new Regex("^web-[12]$"), new Regex("^app-[12]$"), new Regex("^PostgreSQL$")]);

        await page.FillAsync("#author", "browser");
        await page.FillAsync("#text", text);
        await page.ClickAsync("#post-button");

        var message = page.Locator(".message", new PageLocatorOptions { HasText = text });
        await Expect(message).ToHaveCountAsync(1);
        await message.Locator("button.like").ClickAsync();
        await Expect(message.Locator("button.like")).ToHaveTextAsync("♥ 1");
        await Expect(path).ToHaveTextAsync([new Regex("^lb-[12]$"), new Regex("^web-[12]$"), new Regex("^app-[12]$"), new Regex("^PostgreSQL$")]);

        await page.ReloadAsync();
        await Expect(page.Locator(".message", new PageLocatorOptions { HasText = text }).Locator("button.like")).ToHaveTextAsync("♥ 1");
    }

    [Fact]
    public async Task BareDomain_RedirectsToWww()
    {
        var page = await _browser.NewPageAsync();

        await page.GotoAsync("http://foobar.com/?from=bare");

        Assert.Equal("http://www.foobar.com/?from=bare", page.Url);
        await Expect(page.Locator("#post-form")).ToBeVisibleAsync();
    }

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
