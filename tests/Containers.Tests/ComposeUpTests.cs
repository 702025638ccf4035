using Foobar.Containers.Tests.Support;
using Foobar.TestSupport;
using Xunit.Abstractions;

namespace Foobar.Containers.Tests;

/// <summary>`compose up -d` from a clean state (the fixture's start) gives a healthy stack.</summary>
[Collection(ComposeStackCollection.Name)]
public sealed class ComposeUpTests(ComposeStackFixture stack, ITestOutputHelper output)
{
    [Fact]
    public async Task UpFromClean_EveryServiceHealthy_MigrateExitedZero()
    {
        output.WriteLine($"images built in {stack.BuildTime.TotalSeconds:F0} s; up and healthy in {stack.UpTime.TotalSeconds:F0} s");
        await stack.WaitHealthyAsync(TimeSpan.FromMinutes(2));

        var migrate = Assert.Single(await stack.Compose.ContainerIdsAsync("migrate"));
        Assert.Equal("exited 0", await DockerCli.InspectAsync(migrate, "{{.State.Status}} {{.State.ExitCode}}"));
        Assert.Equal(2, (await stack.Compose.ContainerIdsAsync("web")).Count);
        Assert.Equal(2, (await stack.Compose.ContainerIdsAsync("app")).Count);
        foreach (var service in ComposeStackFixture.LongRunningServices)
        {
            foreach (var id in await stack.Compose.ContainerIdsAsync(service))
            {
                Assert.Equal("healthy", await DockerCli.HealthAsync(id));
            }
        }
    }
}
