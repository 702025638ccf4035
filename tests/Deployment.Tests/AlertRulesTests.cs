using Foobar.Deployment.Tests.Support;
using Foobar.TestSupport;

namespace Foobar.Deployment.Tests;

/// <summary>
/// deploy/prometheus: the alerting rules pass <c>promtool check rules</c> and their unit tests (<c>promtool test rules</c>,
/// Debian's prometheus package), the unit tests catch a broken rule, and the compose monitoring profile's configuration
/// is valid and scrapes every tier under the job names the rules use.
/// </summary>
public sealed class AlertRulesTests
{
    private static readonly string Directory = Path.Combine(RepoPaths.Root, "deploy", "prometheus");

    [Fact]
    public async Task CheckRules_ShippedRules_AreValid()
    {
        var result = await CommandLine.RunAsync("promtool", ["check", "rules", "alerts.yml"], Directory, TimeSpan.FromMinutes(1));

        Assert.True(result.ExitCode == 0, $"promtool check rules: {result}");
        Assert.Contains("SUCCESS: 19 rules found", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TestRules_EveryAlertFiresOnItsFailure_AndNotOnAHealthyNeighbour()
    {
        var result = await CommandLine.RunAsync("promtool", ["test", "rules", "alerts.test.yml"], Directory, TimeSpan.FromMinutes(1));

        Assert.True(result.ExitCode == 0, $"promtool test rules: {result}");
        Assert.Contains("SUCCESS", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TestRules_ABrokenRule_FailsTheUnitTests()
    {
        // The same tests against a rule that waits for two available app servers instead of none: they must notice.
        var copy = Path.Combine(Path.GetTempPath(), $"foobar-rules-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(copy);
        try
        {
            var rules = await File.ReadAllTextAsync(Path.Combine(Directory, "alerts.yml"));
            var broken = rules.Replace("(foobar_webserver_foobar_web_app_server_available{job=\"web\"}) == 0", "(foobar_webserver_foobar_web_app_server_available{job=\"web\"}) == 2", StringComparison.Ordinal);
            Assert.NotEqual(rules, broken);
            await File.WriteAllTextAsync(Path.Combine(copy, "alerts.yml"), broken);
            File.Copy(Path.Combine(Directory, "alerts.test.yml"), Path.Combine(copy, "alerts.test.yml"));

            var result = await CommandLine.RunAsync("promtool", ["test", "rules", "alerts.test.yml"], copy, TimeSpan.FromMinutes(1));

            Assert.True(result.ExitCode != 0, $"promtool test rules passed a broken rule: {result}");
            Assert.Contains("NoHealthyAppServer", result.Output, StringComparison.Ordinal);
        }
        finally
        {
            System.IO.Directory.Delete(copy, recursive: true);
        }
    }

    [Fact]
    public async Task ComposeMonitoringConfig_IsValid_AndScrapesEveryTierUnderTheRulesJobNames()
    {
        var result = await CommandLine.RunAsync("promtool", ["check", "config", "prometheus.yml"], Directory, TimeSpan.FromMinutes(1));
        var config = await File.ReadAllTextAsync(Path.Combine(Directory, "prometheus.yml"));

        Assert.True(result.ExitCode == 0, $"promtool check config: {result}");
        Assert.Contains("SUCCESS: 1 rule files found", result.Output, StringComparison.Ordinal);
        Assert.All(["job_name: lb", "job_name: web", "job_name: app", "target_label: node"], s => Assert.Contains(s, config, StringComparison.Ordinal));
    }
}
