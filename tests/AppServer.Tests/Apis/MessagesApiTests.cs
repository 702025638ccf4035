using System.Net;
using System.Net.Http.Json;
using System.Text;

namespace Foobar.AppServer.Tests.Apis;

[Collection(AppTierCollection.Name)]
public sealed class MessagesApiTests(AppTierFixture tier)
{
    private readonly HttpClient _client = tier.Client1;

    [Fact]
    public async Task PostMessage_Valid_Returns201WithLocationAndStoredFields()
    {
        using var response = await _client.PostMessageAsync("  alice  ", "  hello, board  ");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.ReadAsync();
        var id = body.GetProperty("id").GetInt64();
        Assert.Equal($"/api/messages/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal("alice", body.GetProperty("author").GetString());
        Assert.Equal("hello, board", body.GetProperty("text").GetString());
        Assert.Equal(0, body.GetProperty("likes").GetInt32());
        Assert.Equal("app-1", body.GetProperty("createdBy").GetString());
        Assert.True(DateTimeOffset.UtcNow - body.GetProperty("createdAt").GetDateTimeOffset() < TimeSpan.FromMinutes(1));
        Assert.Equal("app-1", response.Headers.GetValues("X-Served-By").Single());

        using var fetched = await tier.Client2.GetAsync($"/api/messages/{id}");
        Assert.Equal(HttpStatusCode.OK, fetched.StatusCode);
        Assert.Equal("hello, board", (await fetched.ReadAsync()).GetProperty("text").GetString());
    }

    [Fact]
    public async Task GetMessage_UnknownId_Returns404Problem()
    {
        using var response = await _client.GetAsync("/api/messages/987654321");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(404, (await response.ReadAsync()).GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task ListMessages_Pages_NewestFirstWithKeysetCursor()
    {
        var ids = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            using var posted = await _client.PostMessageAsync("pager", $"page test {i}");
            ids.Add((await posted.ReadAsync()).GetProperty("id").GetInt64());
        }

        using var first = await _client.GetAsync($"/api/messages?limit=2&before={ids[^1] + 1}");
        var firstPage = await first.ReadAsync();
        Assert.Equal([ids[4], ids[3]], firstPage.GetProperty("items").EnumerateArray().Select(m => m.GetProperty("id").GetInt64()));
        var cursor = firstPage.GetProperty("nextBefore").GetInt64();
        Assert.Equal(ids[3], cursor);

        using var second = await _client.GetAsync($"/api/messages?limit=2&before={cursor}");
        var secondPage = await second.ReadAsync();
        Assert.Equal([ids[2], ids[1]], secondPage.GetProperty("items").EnumerateArray().Select(m => m.GetProperty("id").GetInt64()));
    }

    [Fact]
    public async Task ListMessages_NoLimit_ReturnsTwentyAndCursor()
    {
        for (var i = 0; i < 21; i++)
        {
            (await _client.PostMessageAsync("bulk", $"bulk {i}")).Dispose();
        }

        var page = await (await _client.GetAsync("/api/messages")).ReadAsync();

        Assert.Equal(20, page.GetProperty("items").GetArrayLength());
        Assert.NotEqual(System.Text.Json.JsonValueKind.Null, page.GetProperty("nextBefore").ValueKind);
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=101", "limit")]
    [InlineData("limit=abc", "limit")]
    [InlineData("limit=-5", "limit")]
    [InlineData("before=x", "before")]
    [InlineData("before=0", "before")]
    [InlineData("before=-1", "before")]
    public async Task ListMessages_BadQuery_Returns400NamingParameter(string query, string field)
    {
        using var response = await _client.GetAsync($"/api/messages?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True((await response.ReadAsync()).GetProperty("errors").TryGetProperty(field, out _));
    }

    [Theory]
    [InlineData("", "text", "author")]
    [InlineData("   ", "text", "author")]
    [InlineData("bob", "", "text")]
    [InlineData("bob", " \t ", "text")]
    [InlineData("12345678901234567890123456789012345678901", "text", "author")]
    [InlineData("bob\u0007", "text", "author")]
    [InlineData("bob", "bell \u0007 here", "text")]
    [InlineData("line\nbreak", "text", "author")]
    public async Task PostMessage_Invalid_Returns400NamingField(string author, string text, string field)
    {
        using var response = await _client.PostMessageAsync(author, text);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = (await response.ReadAsync()).GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out _), $"errors should name {field}: {errors}");
    }

    [Fact]
    public async Task PostMessage_TextOf501Characters_Returns400AndOf500Succeeds()
    {
        using var tooLong = await _client.PostMessageAsync("bob", new string('x', 501));
        using var justRight = await _client.PostMessageAsync("bob", new string('é', 500));

        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Equal(HttpStatusCode.Created, justRight.StatusCode);
    }

    [Fact]
    public async Task PostMessage_MultiLineText_KeepsLineBreaks()
    {
        using var response = await _client.PostMessageAsync("bob", "first\r\nsecond");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("first\nsecond", (await response.ReadAsync()).GetProperty("text").GetString());
    }

    [Theory]
    [InlineData("{\"author\": \"bob\", \"text\": ")]
    [InlineData("not json")]
    [InlineData("{\"author\": 5, \"text\": \"x\"}")]
    public async Task PostMessage_MalformedJson_Returns400Problem(string body)
    {
        using var response = await _client.PostAsync("/api/messages", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task PostMessage_BodyOver64KiB_Returns413()
    {
        var body = $"{{\"author\":\"bob\",\"text\":\"{new string('x', 70 * 1024)}\"}}";

        using var response = await _client.PostAsync("/api/messages", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task PostMessage_SameIdempotencyKeyTwice_ReturnsFirstResultAndOneRow()
    {
        var key = Guid.NewGuid().ToString();

        using var first = await _client.PostMessageAsync("carol", "only once", key);
        using var second = await tier.Client2.PostMessageAsync("carol", "only once", key);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        var id = (await first.ReadAsync()).GetProperty("id").GetInt64();
        Assert.Equal(id, (await second.ReadAsync()).GetProperty("id").GetInt64());
        Assert.Equal("true", second.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(1, await Sql.CountByKeyAsync(tier.ConnectionString, key));
    }

    [Fact]
    public async Task PostMessage_KeyReusedForOtherContent_Returns422()
    {
        var key = Guid.NewGuid().ToString();
        (await _client.PostMessageAsync("dave", "original", key)).Dispose();

        using var response = await _client.PostMessageAsync("dave", "something else", key);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal(1, await Sql.CountByKeyAsync(tier.ConnectionString, key));
    }

    [Fact]
    public async Task PostMessage_BadIdempotencyKey_Returns400()
    {
        using var response = await _client.PostMessageAsync("dave", "x", new string('k', 101));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.ReadAsync()).GetProperty("errors").TryGetProperty("Idempotency-Key", out _));
    }

    [Fact]
    public async Task LikeMessage_Existing_IncrementsAndReturnsCount()
    {
        var id = (await (await _client.PostMessageAsync("erin", "like me")).ReadAsync()).GetProperty("id").GetInt64();

        using var first = await _client.PostAsync($"/api/messages/{id}/likes", null);
        using var second = await tier.Client2.PostAsync($"/api/messages/{id}/likes", null);

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(1, (await first.ReadAsync()).GetProperty("likes").GetInt32());
        Assert.Equal(2, (await second.ReadAsync()).GetProperty("likes").GetInt32());
        Assert.Equal(2, (await (await _client.GetAsync($"/api/messages/{id}")).ReadAsync()).GetProperty("likes").GetInt32());
    }

    [Fact]
    public async Task LikeMessage_KeyReusedForAnotherMessage_Returns422AndCountsNothing()
    {
        var first = (await (await _client.PostMessageAsync("erin", "first")).ReadAsync()).GetProperty("id").GetInt64();
        var second = (await (await _client.PostMessageAsync("erin", "second")).ReadAsync()).GetProperty("id").GetInt64();
        var key = Guid.NewGuid().ToString();

        using var liked = await LikeWithKeyAsync(first, key);
        using var reused = await LikeWithKeyAsync(second, key);
        using var unknown = await LikeWithKeyAsync(987654321, Guid.NewGuid().ToString());

        Assert.Equal(HttpStatusCode.OK, liked.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, reused.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(0, (await (await _client.GetAsync($"/api/messages/{second}")).ReadAsync()).GetProperty("likes").GetInt32());
    }

    private Task<HttpResponseMessage> LikeWithKeyAsync(long id, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/messages/{id}/likes");
        request.Headers.Add("Idempotency-Key", key);
        return _client.SendAsync(request);
    }

    [Fact]
    public async Task LikeMessage_UnknownId_Returns404()
    {
        using var response = await _client.PostAsync("/api/messages/987654321/likes", null);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task OpenApi_Document_DescribesTheMessagesApi()
    {
        var document = await _client.GetFromJsonAsync<System.Text.Json.JsonElement>("/openapi/v1.json");

        Assert.True(document.GetProperty("paths").TryGetProperty("/api/messages", out _));
        Assert.True(document.GetProperty("paths").TryGetProperty("/api/messages/{id}/likes", out _));
    }

    [Fact]
    public async Task Health_Ready_IsHealthyWithDatabase()
    {
        using var ready = await _client.GetAsync("/health/ready");
        using var live = await _client.GetAsync("/health/live");
        using var metrics = await _client.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Contains("http_request_duration_seconds_count{code=\"200\",method=\"GET\",controller=\"\",action=\"\",endpoint=\"/health/ready\"}", await metrics.Content.ReadAsStringAsync());
    }
}
