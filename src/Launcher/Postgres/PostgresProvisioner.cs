namespace Foobar.Launcher.Postgres;

/// <summary>
/// Chooses where the Launcher's own cluster lives (under the data directory, or, when the postgres user
/// cannot reach that, a directory it can), creates it on first run, starts it and makes the foobar database.
/// </summary>
public static class PostgresProvisioner
{
    public const string Database = "foobar";

    public static async Task<LocalPostgresCluster> StartAsync(string dataDirectory, int port, Action<string> output, CancellationToken ct)
    {
        var root = Path.Combine(dataDirectory, "postgres");
        if (!await LocalPostgresCluster.IsReachableByServiceUserAsync(root))
        {
            // e.g. a checkout under /root (mode 700): the postgres user cannot traverse it.
            var fallback = await FallbackDirectory.PrepareAsync(root, LocalPostgresCluster.ServiceUser);
            output($"note: the postgres user cannot reach {root}; keeping the database in {fallback} instead");
            root = fallback;
        }

        var cluster = new LocalPostgresCluster(root, port, output);
        await cluster.InitializeAsync(ct);
        await cluster.StartAsync(ct);
        await cluster.EnsureDatabaseAsync(Database, ct);
        return cluster;
    }
}
