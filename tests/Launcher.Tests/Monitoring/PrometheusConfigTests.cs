using Foobar.Launcher.Monitoring;
using Foobar.Launcher.Stack;
using Foobar.TestSupport;

namespace Foobar.Launcher.Tests.Monitoring;

public sealed class PrometheusConfigTests
{
    [Fact]
    public async Task Render_DefaultStack_PromtoolAcceptsItWithTheShippedRules()
    {
        var plan = new StackPlan(new LauncherOptions(), "Host=db", "/tmp/data", "key", "token");
        var path = Path.Combine(Path.GetTempPath(), $"prometheus-{Guid.NewGuid():N}.yml");
        await File.WriteAllTextAsync(path, PrometheusConfig.Render(plan, TimeSpan.FromSeconds(2), PrometheusConfig.RulesPath));
        try
        {
            var promtool = await CommandLine.RunAsync("promtool", ["check", "config", path], Environment.CurrentDirectory, TimeSpan.FromMinutes(1));

            Assert.True(promtool.ExitCode == 0, promtool.Output);
            Assert.Contains("SUCCESS: 1 rule files found", promtool.Output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Render_EveryNodeUnderItsTierJobWithItsName()
    {
        var plan = new StackPlan(new LauncherOptions { Web = 3, App = 1 }, "Host=db", "/tmp/data", "key", "token");

        var yaml = PrometheusConfig.Render(plan, TimeSpan.FromSeconds(2), "/rules.yml");

        Assert.Contains("job_name: lb", yaml, StringComparison.Ordinal);
        Assert.Contains("""- targets: ["127.0.0.1:5253"]""", yaml, StringComparison.Ordinal);
        Assert.Contains("""labels: {node: "web-3"}""", yaml, StringComparison.Ordinal);
        Assert.Contains("""- targets: ["127.0.0.1:9102"]""", yaml, StringComparison.Ordinal);
        Assert.Contains("""labels: {node: "app-1"}""", yaml, StringComparison.Ordinal);
        Assert.Contains("scrape_interval: 2s", yaml, StringComparison.Ordinal);
    }

    [Fact]
    public void MonitoringSettings_LoadBalancersKnowEveryNodeByName()
    {
        var plan = new StackPlan(new LauncherOptions(), "Host=db", "/tmp/data", "key", "token");
        var lb = plan.Nodes.Single(n => n.Name == "lb-2").Settings;

        var names = lb.Where(s => s.Key.EndsWith(":Name", StringComparison.Ordinal) && s.Key.StartsWith("Monitoring:", StringComparison.Ordinal)).Select(s => s.Value);

        Assert.Equal(["app-1", "app-2", "web-1", "web-2", "lb-1", "lb-2", "postgres"], names);
        var web2 = lb.Single(s => s.Key.StartsWith("Monitoring:Nodes:", StringComparison.Ordinal) && s.Value == "web-2").Key.Split(':')[2];
        Assert.Equal("http://127.0.0.1:5202", lb[$"Monitoring:Nodes:{web2}:Url"]);
        Assert.Equal("http://127.0.0.1:5252", lb[$"Monitoring:Nodes:{web2}:ManagementUrl"]);
        // The database is named, never polled from the edge: no management URL.
        var postgres = lb.Single(s => s.Key.StartsWith("Monitoring:Nodes:", StringComparison.Ordinal) && s.Key.EndsWith(":Name", StringComparison.Ordinal) && s.Value == "postgres").Key.Split(':')[2];
        Assert.Equal("postgres", lb[$"Monitoring:Nodes:{postgres}:Role"]);
        Assert.False(lb.ContainsKey($"Monitoring:Nodes:{postgres}:ManagementUrl"));
    }

    [Fact]
    public void MonitoringSettings_DatabaseHa_NamesBothDataNodesByTheirAddresses()
    {
        var plan = new StackPlan(new LauncherOptions { DbHa = true, PostgresPort = 6000 }, "Host=db", "/tmp/data", "key", "token");
        var lb = plan.Nodes.Single(n => n.Name == "lb-1").Settings;

        string Url(string name) => lb[$"Monitoring:Nodes:{lb.Single(s => s.Key.StartsWith("Monitoring:Nodes:", StringComparison.Ordinal) && s.Value == name).Key.Split(':')[2]}:Url"];

        // The monitor on --postgres-port, db-1 and db-2 on the next two (AutoFailoverCluster).
        Assert.Equal("postgresql://127.0.0.1:6001", Url("db-1"));
        Assert.Equal("postgresql://127.0.0.1:6002", Url("db-2"));
        Assert.DoesNotContain(lb, s => s.Value == "postgres" && s.Key.EndsWith(":Name", StringComparison.Ordinal));
    }
}
