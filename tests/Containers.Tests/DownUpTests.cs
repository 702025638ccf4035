using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Foobar.Containers.Tests.Support;

namespace Foobar.Containers.Tests;

/// <summary>`compose down` then `up`: the containers are new, the posts are still there (the pgdata volume).</summary>
[Collection(ComposeStackCollection.Name)]
public sealed class DownUpTests(ComposeStackFixture stack)
{
    [Fact]
    public async Task DownThenUp_PostsSurvive()
    {
        await stack.WaitHealthyAsync(TimeSpan.FromMinutes(3));
        using var client = stack.CreateClient(TimeSpan.FromSeconds(30));
        var text = $"survives down and up {Guid.NewGuid():N}";
        using var created = await client.PostAsJsonAsync("/api/messages", new { author = "containers-test", text });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        var postgresBefore = Assert.Single(await stack.Compose.ContainerIdsAsync("postgres"));

        await stack.Compose.RunCheckedAsync(TimeSpan.FromMinutes(5), "down");
        Assert.Empty(await stack.Compose.ContainerIdsAsync("postgres"));
        await stack.UpAsync();

        Assert.NotEqual(postgresBefore, Assert.Single(await stack.Compose.ContainerIdsAsync("postgres")));
        var message = await client.GetFromJsonAsync<JsonElement>($"/api/messages/{id}");
        Assert.Equal(text, message.GetProperty("text").GetString());
    }
}
