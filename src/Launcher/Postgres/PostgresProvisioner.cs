namespace Foobar.Launcher.Postgres;

/// <summary>
/// Chooses where the Launcher's own cluster lives (under the data directory, or, when the postgres user
/// cannot reach that, a directory it can), creates it on first run, starts it and makes the foobar database and the
/// app's role that owns it.
/// </summary>
internal static class PostgresProvisioner
{
    public const string Database = "foobar";

    /// <summary>The cluster for <paramref name="dataDirectory"/>, not yet created or started; its connection string is known.</summary>
    public static async Task<LocalPostgresCluster> LocateAsync(string dataDirectory, int port, Action<string> output)
    {
        var root = await ReachableRootAsync(Path.Combine(dataDirectory, "postgres"), output);
        return new LocalPostgresCluster(root, port, output);
    }

    /// <summary>Creates the cluster on first use, starts it and makes the foobar database.</summary>
    public static async Task StartAsync(LocalPostgresCluster cluster, CancellationToken ct)
    {
        await cluster.InitializeAsync(ct);
        await cluster.StartAsync(ct);
        await cluster.EnsureDatabaseAsync(Database, ct);
        await cluster.EnsureAppRoleAsync(Database, ct);
    }

    /// <summary><paramref name="root"/>, or a directory under /var/tmp when the postgres user cannot reach it.</summary>
    public static async Task<string> ReachableRootAsync(string root, Action<string> output)
    {
        if (await LocalPostgresCluster.IsReachableByServiceUserAsync(root))
        {
            return root;
        }

        // e.g. a checkout under /root (mode 700): the postgres user cannot traverse it.
        var fallback = await FallbackDirectory.PrepareAsync(root, LocalPostgresCluster.ServiceUser);
        output($"note: the postgres user cannot reach {root}; keeping the database in {fallback} instead");
        return fallback;
    }
}
