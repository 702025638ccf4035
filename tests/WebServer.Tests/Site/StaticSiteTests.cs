using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Foobar.WebServer.Tests.Site;

[Collection(WebTierCollection.Name)]
public sealed partial class StaticSiteTests(WebTierFixture tier)
{
    private readonly HttpClient _client = tier.Client;

    [Fact]
    public async Task GetRoot_FirstVisit_BoardRevalidatedEveryVisitWithETag()
    {
        using var first = await _client.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("text/html", first.Content.Headers.ContentType?.MediaType);
        Assert.True(first.Headers.CacheControl?.NoCache, $"HTML must be revalidated, got '{first.Headers.CacheControl}'");
        Assert.Contains("Newest messages", await first.Content.ReadAsStringAsync());
        var etag = first.Headers.ETag ?? throw new Xunit.Sdk.XunitException("no ETag on the page");

        using var revalidate = new HttpRequestMessage(HttpMethod.Get, "/");
        revalidate.Headers.IfNoneMatch.Add(etag);
        using var second = await _client.SendAsync(revalidate);

        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);
        Assert.Empty(await second.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("br")]
    [InlineData("gzip")]
    public async Task GetRoot_AcceptEncoding_SentCompressedAndRevalidatable(string encoding)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue(encoding));
        using var response = await _client.SendAsync(request);

        Assert.Equal(encoding, Assert.Single(response.Content.Headers.ContentEncoding));
        Assert.Contains("Accept-Encoding", response.Headers.Vary);
        await using var compressed = await response.Content.ReadAsStreamAsync();
        await using Stream plain = encoding == "br" ? new BrotliStream(compressed, CompressionMode.Decompress) : new GZipStream(compressed, CompressionMode.Decompress);
        using var reader = new StreamReader(plain);
        Assert.Contains("Newest messages", await reader.ReadToEndAsync());

        using var again = new HttpRequestMessage(HttpMethod.Get, "/");
        again.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue(encoding));
        again.Headers.IfNoneMatch.Add(response.Headers.ETag!);
        using var revalidated = await _client.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, revalidated.StatusCode);
    }

    [Fact]
    public async Task BoardScript_FingerprintedUrl_CachedForAYearAsImmutable()
    {
        var html = await _client.GetStringAsync("/");
        var src = BoardScript().Match(html);
        Assert.True(src.Success, "the page does not load a fingerprinted board script");

        using var response = await _client.GetAsync("/" + src.Groups["src"].Value);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(TimeSpan.FromDays(365), response.Headers.CacheControl?.MaxAge);
        Assert.Contains("immutable", response.Headers.CacheControl?.ToString(), StringComparison.Ordinal);
        Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task UnknownPage_Browser_Friendly404Page()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/no/such/page");
        request.Headers.Accept.ParseAdd("text/html,application/xhtml+xml,*/*;q=0.8");
        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var page = await response.Content.ReadAsStringAsync();
        Assert.Contains("This page isn't here", page);
        Assert.Contains("href=\"/\"", page);
        Assert.Contains("href=\"/css/site.css\"", page);
    }

    [Fact]
    public async Task UnknownPage_JsonClient_ProblemDetails404()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/no/such/thing");
        request.Headers.Accept.ParseAdd("application/json");
        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(404, problem.RootElement.GetProperty("status").GetInt32());
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/css/site.css")]
    [InlineData("/api/messages")]
    [InlineData("/no/such/page")]
    public async Task AnyResponse_SecurityHeadersPresent(string path)
    {
        using var response = await _client.GetAsync(path);

        var csp = string.Join(",", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'self'", csp);
        Assert.Contains("script-src 'self'", csp);
        Assert.Contains("style-src 'self'", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.DoesNotContain("unsafe-inline", csp);
        Assert.DoesNotContain("unsafe-eval", csp);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
    }

    [Fact]
    public async Task SitePages_NoInlineScriptOrStyle()
    {
        var html = await _client.GetStringAsync("/");

        // The CSP would block them; fail here, where the reason is obvious, rather than in a blank browser page.
        Assert.DoesNotMatch(InlineScript(), html);
        Assert.DoesNotContain("<style", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(" style=", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotMatch(InlineHandler(), html);
    }

    [GeneratedRegex("src=\"(?<src>js/board\\.[a-z0-9]{6,}\\.js)\"")]
    private static partial Regex BoardScript();

    [GeneratedRegex("<script(?![^>]*\\bsrc=)[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex InlineScript();

    [GeneratedRegex("\\son[a-z]+=", RegexOptions.IgnoreCase)]
    private static partial Regex InlineHandler();
}
