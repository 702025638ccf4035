using System.Globalization;
using System.Text;
using Foobar.Launcher.Stack;

namespace Foobar.Launcher.Monitoring;

/// <summary>
/// The scrape configuration the Launcher writes for <c>--prometheus</c>: one job per tier (<c>lb</c>, <c>web</c>,
/// <c>app</c>), every node's management listener as a target labelled <c>node</c> with its name, and the shipped rules
/// (deploy/prometheus/alerts.yml), whose expressions rely on exactly those job and label names.
/// </summary>
internal static class PrometheusConfig
{
    public static string RulesPath { get; } = Path.Combine(ServicePaths.RepositoryRoot, "deploy", "prometheus", "alerts.yml");

    /// <summary>The YAML; <paramref name="interval"/> is both the scrape and the rule evaluation interval.</summary>
    public static string Render(StackPlan plan, TimeSpan interval, string rulesPath)
    {
        var seconds = string.Create(CultureInfo.InvariantCulture, $"{Math.Max(1, (int)interval.TotalSeconds)}s");
        var yaml = new StringBuilder();
        yaml.AppendLine("# Written by the Launcher for --prometheus; regenerated at every start.");
        yaml.AppendLine("global:");
        yaml.AppendLine($"  scrape_interval: {seconds}");
        yaml.AppendLine($"  scrape_timeout: {seconds}");
        yaml.AppendLine($"  evaluation_interval: {seconds}");
        yaml.AppendLine("rule_files:");
        yaml.AppendLine($"  - {Quote(rulesPath)}");
        yaml.AppendLine("scrape_configs:");
        foreach (var tier in plan.Nodes.Where(n => n.AdminUrl is not null).GroupBy(n => n.Role))
        {
            yaml.AppendLine($"  - job_name: {Job(tier.Key)}");
            yaml.AppendLine("    static_configs:");
            foreach (var node in tier)
            {
                yaml.AppendLine($"      - targets: [{Quote(new Uri(node.AdminUrl!).Authority)}]");
                yaml.AppendLine($"        labels: {{node: {Quote(node.Name)}}}");
            }
        }

        return yaml.ToString();
    }

    public static string Job(NodeRole role) => role.ToString().ToLowerInvariant();

    // JSON strings are YAML flow scalars: paths and names are quoted safely whatever they contain.
    private static string Quote(string value) => System.Text.Json.JsonSerializer.Serialize(value);
}
