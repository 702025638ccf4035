using Microsoft.Extensions.Logging;

namespace Foobar.LoadBalancer.Election.Listen;

/// <summary>
/// Linux's <c>net.ipv4.tcp_migrate_req</c> (5.14+): when one socket of a SO_REUSEPORT group closes, the connections
/// still in its accept queue move to another socket of the group instead of being reset. The handover drains the
/// outgoing leader's queue before it closes; this covers what the drain cannot, e.g. a node that finished binding just
/// after it stepped down, or a drain cut short by its timeout on a starved machine. The setting is per network
/// namespace: the load balancer turns it on where it may (root; compose sets it on the shared namespace) and says so
/// where it may not.
/// </summary>
internal static partial class ConnectionMigration
{
    private const string Setting = "/proc/sys/net/ipv4/tcp_migrate_req";

    public static void EnsureEnabled(ILogger logger)
    {
        if (!OperatingSystem.IsLinux() || !File.Exists(Setting))
        {
            return;
        }

        try
        {
            if (File.ReadAllText(Setting).Trim() == "1")
            {
                return;
            }

            File.WriteAllText(Setting, "1");
            Log.Enabled(logger, Setting);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.NotEnabled(logger, Setting, ex.Message);
        }
    }
}
