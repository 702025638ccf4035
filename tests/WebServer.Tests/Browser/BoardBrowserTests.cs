using Foobar.TestSupport;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Foobar.WebServer.Tests.Browser;

/// <summary>The board in a real Chromium (Debian's, driven by Playwright), against web-1 -> app-1/app-2 -> PostgreSQL.</summary>
[Collection(WebTierCollection.Name)]
public sealed class BoardBrowserTests(WebTierFixture tier) : IAsyncLifetime
{
    private readonly List<string> _consoleErrors = [];
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;
    private IPage _page = null!;

    public static string ScreenshotDirectory => Path.Combine(AppContext.BaseDirectory, "screenshots");

    public async Task InitializeAsync()
    {
        SetDefaultExpectTimeout(15_000);
        _playwright = await Playwright.CreateAsync();
        _browser = await Chromium.LaunchAsync(_playwright);
        _page = await NewPageAsync(new ViewportSize { Width = 1100, Height = 900 });
    }

    [Fact]
    public async Task Board_PostThenLike_ListedLikedAndRequestPathShown()
    {
        var text = $"Hello from Chromium {Guid.NewGuid():N}";
        await _page.GotoAsync(tier.Web.BaseUrl.ToString());
        var path = _page.Locator("#request-path");
        await Expect(path).ToContainTextAsync("web-1");
        await Expect(path).ToContainTextAsync("PostgreSQL");

        await _page.FillAsync("#author", "Ada");
        await _page.FillAsync("#text", text);
        await _page.ClickAsync("#post-button");

        var message = _page.Locator(".message", new PageLocatorOptions { HasText = text });
        await Expect(message).ToHaveCountAsync(1);
        await Expect(message.Locator(".message-author")).ToHaveTextAsync("Ada");
        await Expect(_page.Locator("#form-status")).ToHaveTextAsync("Posted.");
        await Expect(_page.Locator("#text")).ToHaveValueAsync("");
        // The post's own response names the app server that wrote it, then the database.
        await Expect(path.Locator(".hop")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex[] { new("^web-1$"), new("^app-[12]$"), new("^PostgreSQL$") });

        await message.Locator("button.like").ClickAsync();
        await Expect(message.Locator("button.like")).ToHaveTextAsync("♥ 1");

        Directory.CreateDirectory(ScreenshotDirectory);
        await _page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, "board.png"), FullPage = true });

        await _page.ReloadAsync();
        var reloaded = _page.Locator(".message", new PageLocatorOptions { HasText = text });
        await Expect(reloaded.Locator("button.like")).ToHaveTextAsync("♥ 1");
        Assert.Empty(_consoleErrors);
    }

    [Fact]
    public async Task Board_EmptyPost_ServerValidationShownNextToFields()
    {
        await _page.GotoAsync(tier.Web.BaseUrl.ToString());
        await Expect(_page.Locator("#board-status")).Not.ToHaveTextAsync("Loading…");

        await _page.FillAsync("#author", "");
        await _page.ClickAsync("#post-button");

        await Expect(_page.Locator("#author-error")).ToBeVisibleAsync();
        await Expect(_page.Locator("#author-error")).ToHaveTextAsync("author is required");
        await Expect(_page.Locator("#text-error")).ToHaveTextAsync("text is required");
        await Expect(_page.Locator("#author")).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(_page.Locator("#form-status")).ToHaveTextAsync("Please fix the highlighted fields.");
        // The 400 is an answer, not an outage: the path shows who answered it.
        await Expect(_page.Locator("#request-path")).ToContainTextAsync("400");
        Assert.Empty(_consoleErrors);
    }

    [Fact]
    public async Task Board_MessageWithMarkup_ShownAsTextNeverRun()
    {
        var markup = $"<script>window.__pwned = 1</script><img src=x onerror=\"window.__pwned = 2\"> <b>{Guid.NewGuid():N}</b>";
        await _page.GotoAsync(tier.Web.BaseUrl.ToString());

        await _page.FillAsync("#author", "<i>mallory</i>");
        await _page.FillAsync("#text", markup);
        await _page.ClickAsync("#post-button");

        var message = _page.Locator(".message").First;
        await Expect(message.Locator(".message-text")).ToHaveTextAsync(markup);
        await Expect(message.Locator(".message-author")).ToHaveTextAsync("<i>mallory</i>");
        Assert.Equal(0, await _page.Locator("#messages img, #messages script, #messages b, #messages i").CountAsync());

        await _page.ReloadAsync();
        await Expect(_page.Locator(".message-text", new PageLocatorOptions { HasText = markup })).ToHaveCountAsync(1);
        Assert.Equal("undefined", await _page.EvaluateAsync<string>("typeof window.__pwned"));
    }

    [Fact]
    public async Task Board_MoreThanAPage_LoadMoreAppendsOlderWithoutDuplicates()
    {
        for (var i = 0; i < 25; i++)
        {
            using var posted = await tier.Client.PostAsync("/api/messages", new StringContent($"{{\"author\":\"pager\",\"text\":\"older {i}\"}}", System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(System.Net.HttpStatusCode.Created, posted.StatusCode);
        }

        await _page.GotoAsync(tier.Web.BaseUrl.ToString());
        await Expect(_page.Locator(".message")).ToHaveCountAsync(20);
        await Expect(_page.Locator("#load-more")).ToBeVisibleAsync();

        await _page.ClickAsync("#load-more");

        await Expect(_page.Locator(".message")).Not.ToHaveCountAsync(20);
        var ids = (await _page.Locator(".message").EvaluateAllAsync<string[]>("items => items.map(i => i.dataset.id)")).Select(long.Parse).ToList();
        Assert.True(ids.Count > 20);
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Equal(ids.OrderDescending(), ids);
    }

    [Fact]
    public async Task Board_PhoneViewport_NoSidewaysScrolling()
    {
        var phone = await NewPageAsync(new ViewportSize { Width = 375, Height = 740 });
        await phone.GotoAsync(tier.Web.BaseUrl.ToString());
        await Expect(phone.Locator("#request-path")).ToContainTextAsync("web-1");

        var overflow = await phone.EvaluateAsync<int>("document.documentElement.scrollWidth - document.documentElement.clientWidth");
        var fontSize = await phone.EvaluateAsync<string>("getComputedStyle(document.querySelector('#text')).fontSize");

        Assert.True(overflow <= 0, $"the page is {overflow}px wider than a phone screen");
        // iOS zooms into inputs under 15-16px; readable text needs at least that.
        Assert.True(double.Parse(fontSize.TrimEnd('p', 'x'), System.Globalization.CultureInfo.InvariantCulture) >= 15, $"input font {fontSize}");
        Directory.CreateDirectory(ScreenshotDirectory);
        await phone.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, "board-phone.png"), FullPage = false });
    }

    [Fact]
    public async Task UnknownPage_InBrowser_Styled404WithWayBack()
    {
        var response = await _page.GotoAsync(new Uri(tier.Web.BaseUrl, "/no/such/page").ToString());

        Assert.Equal(404, response?.Status);
        await Expect(_page.Locator("h1")).ToHaveTextAsync("This page isn't here");
        await _page.ClickAsync("text=Back to the board");
        await Expect(_page.Locator("#board-title")).ToHaveTextAsync("Newest messages");
        Assert.Empty(_consoleErrors);
    }

    private async Task<IPage> NewPageAsync(ViewportSize viewport)
    {
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = viewport });
        var page = await context.NewPageAsync();
        // CSP violations and script errors surface as console errors: a page that "works" with them is broken.
        page.Console += (_, message) =>
        {
            if (message.Type == "error" && !message.Text.Contains("404", StringComparison.Ordinal) && !message.Text.Contains("400", StringComparison.Ordinal))
            {
                _consoleErrors.Add(message.Text);
            }
        };
        page.PageError += (_, error) => _consoleErrors.Add(error);
        return page;
    }

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
