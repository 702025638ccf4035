using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Foobar.TestSupport;

namespace Foobar.System.Tests.Monitoring;

/// <summary>
/// The Launcher's <c>--prometheus</c>: Debian's prometheus scrapes every node with the shipped rules, every metric the
/// rules name is really exported, and killing both app servers makes "no healthy app server" fire.
/// </summary>
public sealed class PrometheusAlertTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    [Fact]
    public async Task KillBothAppServers_NoHealthyAppServerFires_ThroughARealPrometheus()
    {
        var prometheusPort = FreePorts.Next();
        await using var launcher = new LauncherProcess(null, "--web", "1", "--app", "2", "--lbs", "1",
            "--prometheus", "--prometheus-port", prometheusPort.ToString(CultureInfo.InvariantCulture));
        var stack = await launcher.StartAsync();
        try
        {
            // The stack is ready first; prometheus joins the table (and stack.json) right after.
            Uri? found = null;
            await Eventually(TimeSpan.FromSeconds(60), () =>
            {
                found = PrometheusUrl(launcher);
                return Task.FromResult(found is null ? "prometheus not in stack.json" : null);
            });
            var prometheus = found!;

            // Traffic, so that the API's request metrics exist too. The first requests through the just-started tiers
            // pay for their JIT and EF Core's model: one took over 5 s in a rehearsal, so these get 30 s each.
            using var warm = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            for (var i = 0; i < 5; i++)
            {
                using var response = await warm.GetAsync(new Uri(new Uri(stack.Endpoint), "/api/messages"));
                response.EnsureSuccessStatusCode();
            }

            await Eventually(TimeSpan.FromSeconds(60), async () =>
            {
                var up = await QueryAsync(prometheus, "up");
                var nodes = up.Where(r => r.Value == "1").Select(r => r.Labels["node"]).Order(StringComparer.Ordinal).ToList();
                return nodes.SequenceEqual(["app-1", "app-2", "lb-1", "web-1"]) ? null : $"targets up: {string.Join(", ", nodes)}";
            });

            // Every metric a rule reads is exported under that name by some tier (a renamed instrument fails here).
            var rules = string.Join('\n', (await File.ReadAllLinesAsync(Path.Combine(RepoPaths.Root, "deploy", "prometheus", "alerts.yml")))
                .Where(line => !line.TrimStart().StartsWith('#')));
            // Replication lag exists only where there is a standby (--db-ha, DatabaseFailoverTests); this stack has one PostgreSQL.
            string[] standbyOnly = ["foobar_appserver_database_foobar_db_replication_lag", "foobar_appserver_database_foobar_db_replication_replay_lag"];
            // The witness's state exists only where a witness is configured (the address overlay and Swarm: AddressModeTests reads it).
            string[] witnessOnly = ["foobar_election_foobar_election_witness_state"];
            var names = Regex.Matches(rules, @"\b(?:foobar|http|process|system_runtime)_[a-z0-9_]*[a-z0-9]\b").Select(m => m.Value).Distinct().Except(standbyOnly).Except(witnessOnly).ToList();
            Assert.True(names.Count >= 10, $"found only {names.Count} metric names in the rules");
            await Eventually(TimeSpan.FromSeconds(30), async () =>
            {
                var missing = new List<string>();
                foreach (var name in names)
                {
                    if ((await QueryAsync(prometheus, $"count({name})")).Count == 0)
                    {
                        missing.Add(name);
                    }
                }

                return missing.Count == 0 ? null : $"not exported: {string.Join(", ", missing)}";
            });
            Assert.DoesNotContain(await FiringAsync(prometheus), a => a.Name == "NoHealthyAppServer");

            await launcher.SendAsync("kill app-1");
            await launcher.SendAsync("kill app-2");

            // Web health checks: fall 3 x 2 s; the rule's for: 10 s; scrape and evaluation every 2 s.
            await Eventually(TimeSpan.FromSeconds(90), async () =>
            {
                var firing = await FiringAsync(prometheus);
                return firing.Any(a => a.Name == "NoHealthyAppServer" && a.Node == "web-1")
                    ? null
                    : $"firing: {string.Join(", ", firing.Select(a => $"{a.Name}({a.Node})"))}";
            });
            // The app servers' own scrape fails too.
            await Eventually(TimeSpan.FromSeconds(60), async () =>
                (await QueryAsync(prometheus, "up{job=\"app\"} == 0")).Count == 2 ? null : "app targets still up");
        }
        catch (Exception ex) when (ex is TimeoutException)
        {
            throw new TimeoutException($"{ex.Message}\nLauncher:\n{launcher.Output}", ex);
        }
        finally
        {
            await launcher.StopAsync();
        }
    }

    private static Uri? PrometheusUrl(LauncherProcess launcher)
    {
        try
        {
            return launcher.Stack?.Nodes.FirstOrDefault(n => n.Role == "prometheus") is { } node ? new Uri(node.Urls[0]) : null;
        }
        catch (Exception ex) when (ex is IOException or JsonException)
        {
            return null; // Being rewritten at this moment.
        }
    }

    private sealed record Sample(IReadOnlyDictionary<string, string> Labels, string Value);

    private sealed record Alert(string Name, string? Node);

    private static async Task<List<Sample>> QueryAsync(Uri prometheus, string query)
    {
        using var json = JsonDocument.Parse(await Http.GetStringAsync(new Uri(prometheus, $"/api/v1/query?query={Uri.EscapeDataString(query)}")));
        return json.RootElement.GetProperty("data").GetProperty("result").EnumerateArray()
            .Select(r => new Sample(
                r.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!),
                r.GetProperty("value")[1].GetString()!))
            .ToList();
    }

    private static async Task<List<Alert>> FiringAsync(Uri prometheus)
    {
        using var json = JsonDocument.Parse(await Http.GetStringAsync(new Uri(prometheus, "/api/v1/alerts")));
        return json.RootElement.GetProperty("data").GetProperty("alerts").EnumerateArray()
            .Where(a => a.GetProperty("state").GetString() == "firing")
            .Select(a => new Alert(
                a.GetProperty("labels").GetProperty("alertname").GetString()!,
                a.GetProperty("labels").TryGetProperty("node", out var node) ? node.GetString() : null))
            .ToList();
    }

    private static Task Eventually(TimeSpan timeout, Func<Task<string?>> check) => Poll.UntilNothingLeftAsync(check, timeout, TimeSpan.FromMilliseconds(500));
}
