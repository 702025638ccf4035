using Foobar.Launcher.Postgres;
using Foobar.TestSupport;

namespace Foobar.Launcher.Tests.Postgres;

/// <summary>One real cluster from the installed binaries, set up as the Launcher sets it up, shared by a test class.</summary>
public sealed class HardenedClusterFixture : IAsyncLifetime
{
    public const string Database = "foobar";

    public LocalPostgresCluster Cluster { get; } = new(Path.Combine(Path.GetTempPath(), $"foobar-pg-auth-{Guid.NewGuid():N}"), FreePorts.Next());

    public async Task InitializeAsync()
    {
        await Cluster.InitializeAsync();
        await Cluster.StartAsync();
        await Cluster.EnsureDatabaseAsync(Database);
        await Cluster.EnsureAppRoleAsync(Database);
    }

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        Directory.Delete(Cluster.RootDirectory, recursive: true);
    }
}
