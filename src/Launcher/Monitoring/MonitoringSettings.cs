using System.Globalization;
using Foobar.Launcher.Postgres.Ha;
using Foobar.Launcher.Stack;

namespace Foobar.Launcher.Monitoring;

/// <summary>
/// The load balancers' <c>Monitoring:Nodes</c> list: every node of the local stack with its name, role, main URL and
/// management URL, so the stack dashboard (<c>/stack</c> on each admin port) polls them all and shows names, not ports;
/// and the database servers (role <c>postgres</c>, no management URL): db-1 and db-2 with <c>--db-ha</c>, else postgres.
/// </summary>
internal static class MonitoringSettings
{
    public static IEnumerable<KeyValuePair<string, string>> For(LauncherOptions options)
    {
        var nodes = Enumerable.Range(1, options.App).Select(i => ($"app-{i}", "app", (string?)Url(options.AppBasePort + i), (string?)Url(options.AppBasePort + i + StackPlan.ManagementOffset)))
            .Concat(Enumerable.Range(1, options.Web).Select(i => ($"web-{i}", "web", (string?)Url(options.WebBasePort + i), (string?)Url(options.WebBasePort + i + StackPlan.ManagementOffset))))
            .Concat(Enumerable.Range(1, options.LoadBalancers).Select(i => ($"lb-{i}", "lb", (string?)null, (string?)Url(options.AdminPort + i - 1))))
            // Database servers are named, not polled: the dashboard maps the app tier's view (the primary's address) to
            // db-1, db-2; a single server (the node table's postgres, local or external) needs no address to be named.
            .Concat(options.DbHa
                ? AutoFailoverCluster.DataNodeNames.Select((name, i) => (name, "postgres", (string?)PostgresUrl(options.PostgresPort + 1 + i), (string?)null))
                : [(StackRunner.PostgresName, "postgres", null, null)])
            .ToList();
        for (var k = 0; k < nodes.Count; k++)
        {
            var (name, role, url, management) = nodes[k];
            yield return new($"Monitoring:Nodes:{k}:Name", name);
            yield return new($"Monitoring:Nodes:{k}:Role", role);
            if (url is not null)
            {
                yield return new($"Monitoring:Nodes:{k}:Url", url);
            }

            if (management is not null)
            {
                yield return new($"Monitoring:Nodes:{k}:ManagementUrl", management);
            }
        }
    }

    private static string PostgresUrl(int port) => string.Create(CultureInfo.InvariantCulture, $"postgresql://127.0.0.1:{port}");

    private static string Url(int port) => string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}");
}
