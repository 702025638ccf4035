using System.Text.Json;
using Foobar.Containers.Tests.Support;
using Foobar.TestSupport;
using Xunit.Abstractions;

namespace Foobar.Containers.Tests;

/// <summary>
/// `--profile monitoring`: Debian's Prometheus built from deploy/prometheus, scraping both load balancers' admin
/// listeners and every web and app replica through Docker's DNS, with the shipped rules; killing both app containers
/// makes NoHealthyAppServer fire, as it does for the Launcher's `--prometheus`.
/// </summary>
[Collection(ComposeStackCollection.Name)]
public sealed class MonitoringProfileTests(ComposeStackFixture stack, ITestOutputHelper output) : StackDisturbingTests(stack)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    [Fact]
    public async Task Prometheus_ScrapesEveryReplica_AndAlertsWhenNoAppServerIsLeft()
    {
        await Stack.Compose.RunCheckedAsync(TimeSpan.FromMinutes(10), "--profile", "monitoring", "up", "-d", "--no-recreate", "prometheus");
        var apps = await Stack.Compose.ContainerIdsAsync("app");
        try
        {
            await EventuallyAsync(TimeSpan.FromSeconds(90), async () =>
            {
                var targets = await TargetsAsync();
                var up = targets.Where(t => t.Health == "up").Select(t => t.Job).Order(StringComparer.Ordinal).ToList();
                return up.SequenceEqual(["app", "app", "lb", "lb", "web", "web"])
                    ? null
                    : $"targets: {string.Join(", ", targets.Select(t => $"{t.Job} {t.Instance} {t.Health} {t.Error}"))}";
            });
            Assert.DoesNotContain("NoHealthyAppServer", await FiringAsync());

            await DockerCli.CheckedAsync(["kill", .. apps]);

            // Web health checks: fall 3 x 2 s; the rule's for: 10 s; scrape and evaluation every 5 s.
            await EventuallyAsync(TimeSpan.FromSeconds(120), async () =>
                await FiringAsync() is var firing && firing.Contains("NoHealthyAppServer") ? null : $"firing: {string.Join(", ", firing)}");
            output.WriteLine("NoHealthyAppServer fired after both app containers were killed");
        }
        finally
        {
            await DockerCli.CheckedAsync(["start", .. apps]);
            await Stack.Compose.RunCheckedAsync(TimeSpan.FromMinutes(2), "--profile", "monitoring", "rm", "-s", "-f", "prometheus");
        }
    }

    private sealed record Target(string Job, string Instance, string Health, string Error);

    private async Task<List<Target>> TargetsAsync()
    {
        using var json = JsonDocument.Parse(await Http.GetStringAsync(new Uri(Stack.PrometheusUrl, "api/v1/targets?state=active")));
        return json.RootElement.GetProperty("data").GetProperty("activeTargets").EnumerateArray()
            .Select(t => new Target(
                t.GetProperty("labels").GetProperty("job").GetString()!,
                t.GetProperty("labels").GetProperty("instance").GetString()!,
                t.GetProperty("health").GetString()!,
                t.GetProperty("lastError").GetString() ?? ""))
            .ToList();
    }

    private async Task<List<string>> FiringAsync()
    {
        using var json = JsonDocument.Parse(await Http.GetStringAsync(new Uri(Stack.PrometheusUrl, "api/v1/alerts")));
        return json.RootElement.GetProperty("data").GetProperty("alerts").EnumerateArray()
            .Where(a => a.GetProperty("state").GetString() == "firing")
            .Select(a => a.GetProperty("labels").GetProperty("alertname").GetString()!)
            .ToList();
    }

    /// <summary>Polls until <paramref name="check"/> returns null; Prometheus not answering yet counts as not done.</summary>
    private static Task EventuallyAsync(TimeSpan timeout, Func<Task<string?>> check) =>
        Poll.UntilNothingLeftAsync(
            async () =>
            {
                try
                {
                    return await check();
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    return ex.Message;
                }
            },
            timeout,
            TimeSpan.FromSeconds(1));
}
