using System.Security.Cryptography;
using System.Text;

namespace Foobar.Launcher.Postgres;

/// <summary>
/// Chooses where the Launcher's own cluster lives (under the data directory, or, when the postgres user
/// cannot reach that, a directory it can), creates it on first run, starts it and makes the foobar database.
/// </summary>
internal static class PostgresProvisioner
{
    public const string Database = "foobar";

    /// <summary>The cluster for <paramref name="dataDirectory"/>, not yet created or started; its connection string is known.</summary>
    public static async Task<LocalPostgresCluster> LocateAsync(string dataDirectory, int port, Action<string> output)
    {
        var root = Path.Combine(dataDirectory, "postgres");
        if (!await LocalPostgresCluster.IsReachableByServiceUserAsync(root))
        {
            // e.g. a checkout under /root (mode 700): the postgres user cannot traverse it.
            var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(root)))[..12];
            var fallback = Path.Combine("/var/tmp", $"foobar-postgres-{hash}");
            output($"note: the postgres user cannot reach {root}; keeping the database in {fallback} instead");
            root = fallback;
        }

        return new LocalPostgresCluster(root, port, output);
    }

    /// <summary>Creates the cluster on first use, starts it and makes the foobar database.</summary>
    public static async Task StartAsync(LocalPostgresCluster cluster, CancellationToken ct)
    {
        await cluster.InitializeAsync(ct);
        await cluster.StartAsync(ct);
        await cluster.EnsureDatabaseAsync(Database, ct);
    }
}
