using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Foobar.AppServer.Tests.Apis;

/// <summary>
/// The messages API answers with a Content-Length and one body, not chunked: the proxies in front of it then forward
/// each answer as one piece (bench/README.md, "Stop 18"). Problems keep ASP.NET's own writer.
/// </summary>
[Collection(AppTierCollection.Name)]
public sealed class SizedJsonTests(AppTierFixture tier)
{
    private readonly HttpClient _client = tier.Client1;

    [Fact]
    public async Task EverySuccessfulAnswer_HasContentLengthOfItsBody_NotChunked()
    {
        using var created = await _client.PostMessageAsync("sized", "one piece");
        var id = (await created.ReadAsync()).GetProperty("id").GetInt64();
        using var listed = await _client.GetAsync("/api/messages?limit=5");
        using var fetched = await _client.GetAsync($"/api/messages/{id}");
        using var liked = await _client.PostAsync($"/api/messages/{id}/likes", null);

        foreach (var (response, status) in new[] { (created, HttpStatusCode.Created), (listed, HttpStatusCode.OK), (fetched, HttpStatusCode.OK), (liked, HttpStatusCode.OK) })
        {
            Assert.Equal(status, response.StatusCode);
            Assert.NotEqual(true, response.Headers.TransferEncodingChunked);
            var body = await response.Content.ReadAsByteArrayAsync();
            Assert.Equal(body.Length, response.Content.Headers.ContentLength);
            Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType?.ToString());
            // The same camelCase JSON ASP.NET writes: the app's serializer options, not defaults.
            Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(body).RootElement.ValueKind);
        }

        Assert.Equal($"/api/messages/{id}", created.Headers.Location?.OriginalString);
        Assert.Equal("one piece", (await fetched.ReadAsync()).GetProperty("text").GetString());
        Assert.Equal(1, (await liked.ReadAsync()).GetProperty("likes").GetInt32());
        Assert.True((await listed.ReadAsync()).GetProperty("items").GetArrayLength() is > 0 and <= 5);
    }

    [Fact]
    public async Task Problems_KeepTheirOwnWriter()
    {
        using var missing = await _client.GetAsync("/api/messages/987654322");
        using var invalid = await _client.GetAsync("/api/messages?limit=0");

        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Equal("application/problem+json", invalid.Content.Headers.ContentType?.MediaType);
        Assert.True((await invalid.ReadAsync()).GetProperty("errors").TryGetProperty("limit", out _));
    }

    [Fact]
    public async Task OpenApi_StillDescribesTheTypedAnswers()
    {
        var document = await _client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");

        var list = document.GetProperty("paths").GetProperty("/api/messages").GetProperty("get").GetProperty("responses");
        Assert.True(list.GetProperty("200").GetProperty("content").TryGetProperty("application/json", out var json));
        Assert.Contains("MessagePage", json.GetProperty("schema").GetRawText());
        var post = document.GetProperty("paths").GetProperty("/api/messages").GetProperty("post").GetProperty("responses");
        Assert.True(post.TryGetProperty("201", out _));
    }
}
