using System.Net;

namespace Foobar.AppServer.Tests.Apis;

[Collection(AppTierCollection.Name)]
public sealed class ConcurrencyTests(AppTierFixture tier)
{
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

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(100, await Sql.ScalarAsync<int>(tier.ConnectionString, $"SELECT likes FROM messages WHERE id = {id}"));
    }
}
