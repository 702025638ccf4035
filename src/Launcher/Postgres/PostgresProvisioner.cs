using System.Security.Cryptography;
using System.Text;

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
        var root = await ReachableRootAsync(Path.Combine(dataDirectory, "postgres"), output);
        var cluster = new LocalPostgresCluster(root, port, output);
        await cluster.InitializeAsync(ct);
        await cluster.StartAsync(ct);
        await cluster.EnsureDatabaseAsync(Database, ct);
        return cluster;
    }

    /// <summary><paramref name="root"/>, or a directory under /var/tmp when the postgres user cannot reach it.</summary>
    public static async Task<string> ReachableRootAsync(string root, Action<string> output)
    {
        if (await LocalPostgresCluster.IsReachableByServiceUserAsync(root))
        {
            return root;
        }

        // e.g. a checkout under /root (mode 700): the postgres user cannot traverse it.
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(root)))[..12];
        var fallback = Path.Combine("/var/tmp", $"foobar-{Path.GetFileName(root)}-{hash}");
        output($"note: the postgres user cannot reach {root}; keeping the database in {fallback} instead");
        return fallback;
    }
}
