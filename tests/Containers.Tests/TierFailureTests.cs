using System.Net;
using Foobar.Containers.Tests.Support;
using Foobar.TestSupport;
using Xunit.Abstractions;

namespace Foobar.Containers.Tests;

/// <summary>A web and an app container killed, and PostgreSQL restarted, while a client works.</summary>
[Collection(ComposeStackCollection.Name)]
public sealed class TierFailureTests(ComposeStackFixture stack, ITestOutputHelper output) : StackDisturbingTests(stack)
{
    [Fact]
    public async Task KillWebAndAppContainer_UnderTraffic_NoFailedGet_PostsStoredOnce()
    {
        var web = (await Stack.Compose.ContainerIdsAsync("web"))[0];
        var app = (await Stack.Compose.ContainerIdsAsync("app"))[0];
        using var client = Stack.CreateClient();
        var traffic = Traffic.Start(client, $"kill-tier-{Guid.NewGuid():N}"[..16]);
        await Task.Delay(2000);

        try
        {
            await DockerCli.CheckedAsync(["kill", web]);
            await Task.Delay(3000);
            await DockerCli.CheckedAsync(["kill", app]);
            await Task.Delay(4000);
            await traffic.StopAsync();

            output.WriteLine($"kill web + app: {traffic.Gets} GETs, {traffic.FailedGets.Count} failed, {traffic.CutResponses} cut mid-body and reloaded, {traffic.Posts.Count} posts");
            Assert.Empty(traffic.FailedGets);
            Assert.True(traffic.CutResponses <= 4, $"{traffic.CutResponses} responses were cut mid-body: more than the two GET loops can have in flight at two kills");
            await traffic.AssertEveryPostStoredOnceAsync();
        }
        finally
        {
            // Whatever failed above, the stack is whole again for the next test of the collection.
            await DockerCli.CheckedAsync(["start", web, app]);
            await Stack.WaitHealthyAsync(HealthyWithin);
        }
    }

    [Fact]
    public async Task RestartPostgres_UnderTraffic_503ThenRecovery_PostsStoredOnce()
    {
        using var client = Stack.CreateClient();
        var traffic = Traffic.Start(client, $"pg-restart-{Guid.NewGuid():N}"[..16]);
        await Task.Delay(2000);

        await Stack.Compose.RunCheckedAsync(TimeSpan.FromMinutes(2), "restart", "postgres");
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (!traffic.ApiStatuses.Reverse().Take(4).All(s => s == HttpStatusCode.OK) || !traffic.ApiStatuses.Contains(HttpStatusCode.ServiceUnavailable))
        {
            Assert.True(DateTime.UtcNow < deadline, $"API statuses: {string.Join(",", traffic.ApiStatuses.Select(s => (int)s).TakeLast(20))}");
            await Task.Delay(500);
        }

        await traffic.StopAsync();

        output.WriteLine($"restart postgres: {traffic.ApiStatuses.Count(s => s == HttpStatusCode.ServiceUnavailable)} API 503s, then 200 again; {traffic.Posts.Count} posts");
        Assert.Contains(HttpStatusCode.ServiceUnavailable, traffic.ApiStatuses);
        Assert.All(traffic.ApiStatuses, s => Assert.True(s is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, $"API answered {(int)s}"));
        // The site itself (the web tier's static page) never depended on the database.
        Assert.DoesNotContain(traffic.FailedGets, f => f.Contains(" /: ", StringComparison.Ordinal));
        await traffic.AssertEveryPostStoredOnceAsync();
    }
}
