namespace Foobar.Launcher.Postgres.Ha;

/// <summary>
/// <c>--db-ha</c>: finds pg_auto_failover, chooses where the formation lives (under the data directory, or a directory
/// the postgres user can reach) and brings up the monitor, the primary and its standby.
/// </summary>
public static class AutoFailoverProvisioner
{
    public static async Task<AutoFailoverCluster> StartAsync(string dataDirectory, int monitorPort, bool tuned, Action<string> output, CancellationToken ct)
    {
        var binaries = AutoFailoverBinaries.Find() ?? throw new InvalidOperationException(AutoFailoverBinaries.InstallHint);
        var root = await PostgresProvisioner.ReachableRootAsync(Path.Combine(Path.GetFullPath(dataDirectory), "postgres-ha"), output);
        var cluster = new AutoFailoverCluster(root, monitorPort, binaries, Path.Combine(dataDirectory, "logs"), tuned, output);
        try
        {
            await cluster.StartAsync(ct);
            return cluster;
        }
        catch
        {
            await cluster.StopAllAsync();
            throw;
        }
    }
}
