using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Foobar.WebServer.Tests.AppTier;

[Collection(WebTierCollection.Name)]
public sealed class ForwardingTests(WebTierFixture tier)
{
    private readonly HttpClient _client = tier.Client;

    [Fact]
    public async Task ApiGet_ThroughWebServer_ViaNamesWebAndServedByNamesApp()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/messages?limit=1");
        request.Headers.Add("Via", "1.1 lb-7");
        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("1.1 web-1", string.Join(", ", response.Headers.Via.Select(v => $"{v.ProtocolVersion} {v.ReceivedBy}")));
        Assert.Contains(response.Headers.GetValues("X-Served-By").Single(), new[] { "app-1", "app-2" });
    }

    [Fact]
    public async Task ApiGet_Repeated_BalancedOverBothAppServers()
    {
        var servedBy = new HashSet<string>();
        for (var i = 0; i < 10; i++)
        {
            using var response = await _client.GetAsync("/api/messages?limit=1");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            servedBy.Add(response.Headers.GetValues("X-Served-By").Single());
        }

        Assert.Equal(["app-1", "app-2"], servedBy.Order());
    }

    [Fact]
    public async Task ApiPost_ThroughWebServer_CreatedAndReadableBack()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/messages") { Content = JsonContent.Create(new { author = "via web", text = "forwarded post" }) };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        using var created = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var body = JsonDocument.Parse(await created.Content.ReadAsStringAsync());
        var id = body.RootElement.GetProperty("id").GetInt64();
        using var fetched = await _client.GetAsync($"/api/messages/{id}");
        Assert.Equal(HttpStatusCode.OK, fetched.StatusCode);
        Assert.Contains("forwarded post", await fetched.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ApiPost_Invalid_AppTierProblemPassedThroughUntouched()
    {
        using var response = await _client.PostAsJsonAsync("/api/messages", new { author = "", text = "" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var errors = problem.RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty("author", out _));
        Assert.True(errors.TryGetProperty("text", out _));
    }
}
