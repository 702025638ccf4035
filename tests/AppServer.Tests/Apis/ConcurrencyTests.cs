using System.Net;

namespace Foobar.AppServer.Tests.Apis;

[Collection(AppTierCollection.Name)]
public sealed class ConcurrencyTests(AppTierFixture tier)
{
    /// <summary>appsettings.json's Database:MaxPoolSize, the connections one app server may hold.</summary>
    private const int MaxPoolSize = 20;

    [Fact]
    public async Task PostMessage_SameKeyConcurrentlyOnTwoServers_CreatesOneRow()
    {
        for (var round = 0; round < 5; round++)
        {
            var key = Guid.NewGuid().ToString();
            var posts = Enumerable.Range(0, 16)
                .Select(i => (i % 2 == 0 ? tier.Client1 : tier.Client2).PostMessageAsync("racer", "same post", key));

            var responses = await Task.WhenAll(posts);

            Assert.All(responses, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
            var ids = await Task.WhenAll(responses.Select(async r => (await r.ReadAsync()).GetProperty("id").GetInt64()));
            Assert.Single(ids.Distinct());
            Assert.Equal(1, await Sql.CountByKeyAsync(tier.ConnectionString, key));
        }
    }

    [Fact]
    public async Task LikeMessage_100ConcurrentOnTwoServers_CountsExactly100()
    {
        var id = (await (await tier.Client1.PostMessageAsync("popular", "like storm")).ReadAsync()).GetProperty("id").GetInt64();

        var likes = Enumerable.Range(0, 100)
            .Select(i => (i % 2 == 0 ? tier.Client1 : tier.Client2).PostAsync($"/api/messages/{id}/likes", null));
        var responses = await Task.WhenAll(likes);

        var refused = responses.Count(r => r.StatusCode != HttpStatusCode.OK);
        Assert.True(refused == 0, $"{refused} of 100 likes were refused; the app servers' last lines:\n"
            + string.Join('\n', tier.App1.Process.LastLines(15)) + "\n" + string.Join('\n', tier.App2.Process.LastLines(15)));
        Assert.Equal(100, await Sql.ScalarAsync<int>(tier.ConnectionString, $"SELECT likes FROM messages WHERE id = {id}"));

        // Idle pooled connections stay open, so this counts the burst's peak: at most MaxPoolSize per app server and
        // a few of the test's own (42 seen). With Npgsql's default of 100 per server it reached 97-98, PostgreSQL's
        // whole max_connections, and a loaded CI run saw 14 likes refused with 503.
        var connections = await Sql.ScalarAsync<long>(tier.ConnectionString, "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'");
        Assert.InRange(connections, 1, (2 * MaxPoolSize) + 5);
    }

    [Fact]
    public async Task LikeMessage_SameKeyConcurrentlyOnTwoServers_CountsOnce()
    {
        var id = (await (await tier.Client1.PostMessageAsync("retrier", "like me once")).ReadAsync()).GetProperty("id").GetInt64();
        var key = Guid.NewGuid().ToString();

        var likes = Enumerable.Range(0, 10).Select(i =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, $"/api/messages/{id}/likes");
            request.Headers.Add("Idempotency-Key", key);
            return (i % 2 == 0 ? tier.Client1 : tier.Client2).SendAsync(request);
        });
        var responses = await Task.WhenAll(likes);

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(1, await Sql.ScalarAsync<int>(tier.ConnectionString, $"SELECT likes FROM messages WHERE id = {id}"));
        Assert.All(await Task.WhenAll(responses.Select(async r => (await r.ReadAsync()).GetProperty("likes").GetInt32())), count => Assert.Equal(1, count));
    }
}
