using Foobar.Containers.Tests.Support;
using Xunit.Abstractions;

namespace Foobar.Containers.Tests;

/// <summary>`--scale web=3 --scale app=3` and back to two, the tiers finding replicas through Docker's DNS.</summary>
[Collection(ComposeStackCollection.Name)]
public sealed class ScalingTests(ComposeStackFixture stack, ITestOutputHelper output) : StackDisturbingTests(stack)
{
    [Fact]
    public async Task ScaleToThree_NewReplicasServe_ScaleBackDownLosesNoRequest()
    {
        await Stack.UpAsync("--no-recreate", "--scale", "web=3", "--scale", "app=3");
        Assert.Equal(3, (await Stack.Compose.ContainerIdsAsync("web")).Count);
        Assert.Equal(3, (await Stack.Compose.ContainerIdsAsync("app")).Count);

        // Healthy means its own healthcheck passed; now the tier in front must have found it (DNS re-resolution).
        using var client = Stack.CreateClient();
        var clock = global::System.Diagnostics.Stopwatch.StartNew();
        var servedBy = new HashSet<string>();
        while (!(servedBy.Contains("web-3") && servedBy.Contains("app-3")))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"after a minute only these served: {string.Join(", ", servedBy.Order())}");
            foreach (var path in new[] { "/", "/api/messages?limit=1" })
            {
                using var response = await client.GetAsync(path);
                servedBy.UnionWith(response.Headers.GetValues("X-Served-By"));
            }
        }

        output.WriteLine($"web-3 and app-3 served within {clock.Elapsed.TotalSeconds:F1} s of being healthy");

        var traffic = Traffic.Start(client, $"scale-{Guid.NewGuid():N}"[..14]);
        await Task.Delay(2000);
        await Stack.Compose.RunCheckedAsync(TimeSpan.FromMinutes(5), "up", "-d", "--no-recreate", "--scale", "web=2", "--scale", "app=2");
        await Task.Delay(8000);
        await traffic.StopAsync();

        output.WriteLine($"scale down: {traffic.Gets} GETs, {traffic.FailedGets.Count} failed, {traffic.Posts.Count} posts");
        Assert.Empty(traffic.FailedGets);
        await traffic.AssertEveryPostStoredOnceAsync();
        Assert.Equal(2, (await Stack.Compose.ContainerIdsAsync("web")).Count);
        Assert.Equal(2, (await Stack.Compose.ContainerIdsAsync("app")).Count);
    }
}
