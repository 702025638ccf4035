using Foobar.Containers.Tests.Support;
using Foobar.TestSupport;
using Xunit.Abstractions;

namespace Foobar.Containers.Tests;

/// <summary>
/// The elected load balancer (lb-1) killed, stopped and frozen while a client works through the published port.
/// Bounds are generous for a loaded CI machine; the measured gaps are written to the test output.
/// </summary>
[Collection(ComposeStackCollection.Name)]
public sealed class LeaderFailureTests(ComposeStackFixture stack, ITestOutputHelper output) : IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await stack.WaitHealthyAsync(TimeSpan.FromMinutes(3));
        await LoadBalancers.WaitForStateAsync(stack, "lb-1", "Master", TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task KillLeader_UnderTraffic_BackupServesWithinASecondOrTwo_PostsStoredOnce()
    {
        using var client = stack.CreateClient();
        var traffic = Traffic.Start(client, $"kill-lb-{Guid.NewGuid():N}"[..16]);
        await Task.Delay(2000);

        await stack.Compose.RunCheckedAsync(TimeSpan.FromMinutes(1), "kill", "lb-1");
        await LoadBalancers.WaitForStateAsync(stack, "lb-2", "Master", TimeSpan.FromSeconds(15));
        await Task.Delay(3000);
        await traffic.StopAsync();

        output.WriteLine($"kill lb-1: longest gap between successful GETs {traffic.LongestGap.TotalMilliseconds:F0} ms; {traffic.FailedGets.Count} failed of {traffic.Gets}");
        Assert.True(traffic.LongestGap < TimeSpan.FromSeconds(2), $"gap {traffic.LongestGap}; failures: {string.Join("; ", traffic.FailedGets.Take(10))}");
        await traffic.AssertEveryPostStoredOnceAsync();
    }

    [Fact]
    public async Task StopLeader_UnderTraffic_NoRequestFails()
    {
        using var client = stack.CreateClient();
        var traffic = Traffic.Start(client, $"stop-lb-{Guid.NewGuid():N}"[..16]);
        await Task.Delay(2000);

        await stack.Compose.RunCheckedAsync(TimeSpan.FromMinutes(1), "stop", "lb-1");
        await LoadBalancers.WaitForStateAsync(stack, "lb-2", "Master", TimeSpan.FromSeconds(15));
        await Task.Delay(3000);
        await traffic.StopAsync();

        output.WriteLine($"stop lb-1: longest gap {traffic.LongestGap.TotalMilliseconds:F0} ms; {traffic.Gets} GETs");
        Assert.Empty(traffic.FailedGets);
        Assert.True(traffic.Gets > 20, $"only {traffic.Gets} GETs");
        await traffic.AssertEveryPostStoredOnceAsync();
    }

    /// <summary>
    /// `docker pause` freezes lb-1 (SIGSTOP semantics) with its sockets open: the site must stay up (issue 13). A
    /// connection already open to the frozen process cannot be moved, so the client gives up on a request after 2 s
    /// and retries on a new connection, as a browser would on reload.
    /// </summary>
    [Fact]
    public async Task PauseLeader_UnderTraffic_SiteStaysUp()
    {
        using var client = stack.CreateClient(TimeSpan.FromSeconds(2));
        var traffic = Traffic.Start(client, $"pause-lb-{Guid.NewGuid():N}"[..16]);
        await Task.Delay(2000);

        await PauseAsync(Assert.Single(await stack.Compose.ContainerIdsAsync("lb-1")));
        try
        {
            await LoadBalancers.WaitForStateAsync(stack, "lb-2", "Master", TimeSpan.FromSeconds(15));
            var before = traffic.Gets - traffic.FailedGets.Count;
            await Task.Delay(6000);
            var servedWhileFrozen = traffic.Gets - traffic.FailedGets.Count - before;
            output.WriteLine($"pause lb-1: {servedWhileFrozen} GETs served in 6 s while frozen; longest gap so far {traffic.LongestGap.TotalMilliseconds:F0} ms");
            Assert.True(servedWhileFrozen > 10, $"the site served {servedWhileFrozen} GETs in 6 s while lb-1 was frozen; failures: {string.Join("; ", traffic.FailedGets.TakeLast(5))}");
        }
        finally
        {
            await stack.Compose.RunCheckedAsync(TimeSpan.FromMinutes(1), "unpause", "lb-1");
        }

        await Task.Delay(3000);
        await traffic.StopAsync();
        Assert.True(traffic.LongestGap < TimeSpan.FromSeconds(5), $"gap {traffic.LongestGap}");
        await traffic.AssertEveryPostStoredOnceAsync();
    }

    /// <summary>
    /// `docker pause`, until the container is paused. On a busy machine the cgroup v1 freezer sometimes gives up on a
    /// process that does not freeze in time ("OCI runtime pause failed: unable to freeze", seen in a rehearsal), and
    /// compose v1 exits 0 all the same; a test that then waited for a takeover of a node that never froze failed for
    /// the engine's reason, not the product's. So the state is checked and the pause asked for again.
    /// </summary>
    private static async Task PauseAsync(string container)
    {
        for (var attempt = 1; ; attempt++)
        {
            var pause = await DockerCli.RunAsync(["pause", container], TimeSpan.FromMinutes(1));
            if (await DockerCli.InspectAsync(container, "{{.State.Paused}}") == "true")
            {
                return;
            }

            Assert.True(attempt < 5, $"the engine could not pause lb-1 in {attempt} attempts: {pause.Output}");
            await Task.Delay(500);
        }
    }

    public async Task DisposeAsync()
    {
        await stack.Compose.RunAsync(TimeSpan.FromMinutes(1), "unpause", "lb-1");
        await stack.Compose.RunCheckedAsync(TimeSpan.FromMinutes(2), "start", "lb-1");
        await stack.WaitHealthyAsync(TimeSpan.FromMinutes(3));
    }
}
