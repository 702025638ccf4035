using Foobar.Launcher.Postgres;
using Foobar.Launcher.Stack;

namespace Foobar.Launcher;

/// <summary>What the Launcher prints for people: plain lines, the node table, the welcome banner.</summary>
internal sealed class StackConsole
{
    private readonly Lock _gate = new();
    private readonly bool _interactive = !Console.IsInputRedirected;

    public void Line(string text)
    {
        lock (_gate)
        {
            Console.WriteLine(text);
        }
    }

    public void Prompt()
    {
        if (_interactive)
        {
            lock (_gate)
            {
                Console.Write("foobar> ");
            }
        }
    }

    public void Table(IReadOnlyList<StackFileNode> nodes)
    {
        var rows = nodes.Select(n => new[] { n.Name, n.Role, n.Pid?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-", n.Replication is { } role ? $"{n.State} ({role})" : n.State, string.Join(" ", n.Urls), n.AdminUrl ?? "" }).ToList();
        string[] header = ["NODE", "ROLE", "PID", "STATE", "URL", "ADMIN"];
        var widths = header.Select((h, i) => rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        lock (_gate)
        {
            foreach (var row in rows.Prepend(header))
            {
                Console.WriteLine(string.Join("  ", row.Select((cell, i) => cell.PadRight(widths[i]))).TrimEnd());
            }
        }
    }

    public void Welcome(StackPlan plan, StackRunner runner, LocalPostgresCluster? postgres)
    {
        var admins = runner.Nodes.Where(n => n.Spec.Role == NodeRole.Lb).Select(n => $"{n.Spec.Name}: {n.Spec.AdminUrl}/").ToList();
        Line("");
        Line("www.foobar.com is up.");
        Line($"  site:        {plan.Endpoint}/   (HTTPS {plan.HttpsEndpoint}/, self-signed)");
        Line($"  by name:     http://www.foobar.com:{plan.Options.HttpPort}/   after adding this line to /etc/hosts:");
        Line("                 127.0.0.1 www.foobar.com foobar.com");
        Line($"  dashboards:  {string.Join("   ", admins)}");
        Line($"  admin token: in {plan.AdminTokenFile}   (POST /servers/NAME/drain with Authorization: Bearer TOKEN)");
        Line($"  stack file:  {runner.StackFilePath}");
        if (postgres is not null)
        {
            // Over TCP every role needs its password; over the socket only this user gets in (peer).
            Line($"  database:    psql \"postgresql://{LocalPostgresCluster.AppRole}@127.0.0.1:{postgres.Port}/{PostgresProvisioner.Database}\"   password in {postgres.PasswordFile(LocalPostgresCluster.AppRole)}");
        }
        Line("");
        Table(runner.Snapshot());
        Line("");
    }
}
