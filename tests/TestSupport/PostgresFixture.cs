using Foobar.Launcher.Postgres;
using Npgsql;
using Testcontainers.PostgreSql;

namespace Foobar.TestSupport;

/// <summary>
/// A real PostgreSQL server for a test collection, found in the order README's Tests section gives:
/// Testcontainers where a Docker engine answers (<see cref="DockerEngine"/>: DOCKER_HOST, else the default socket);
/// else the server in <c>FOOBAR_TEST_POSTGRES</c>;
/// else a throwaway cluster from the installed binaries (the Launcher's own code), removed afterwards.
/// Each test class asks for a fresh database, so no state leaks between classes.
/// </summary>
public class PostgresFixture : IAsyncLifetime
{
    public const string ExternalVariable = "FOOBAR_TEST_POSTGRES";

    /// <summary>The label on every container the tests start, for cleanup after a crash.</summary>
    public const string TestLabel = "org.foobar.test";

    private const string Image = "postgres:15";

    private PostgreSqlContainer? _container;
    private LocalPostgresCluster? _cluster;
    private string _serverConnectionString = "";

    /// <summary>Which of the three sources is in use: "testcontainers", "external" or "local-cluster".</summary>
    public string Source { get; private set; } = "";

    /// <summary>False for a fixture that must use the throwaway cluster even where an engine answers.</summary>
    /// <remarks>
    /// Where PostgreSQL's server binaries are installed, the throwaway cluster is used even if an engine answers: with
    /// dozens of test collections starting at once beside container tests, a container per collection loaded CI's
    /// two cores until timing tests failed. <c>FOOBAR_TEST_TESTCONTAINERS=1</c> asks for containers anyway.
    /// </remarks>
    protected virtual bool MayUseDocker =>
        Environment.GetEnvironmentVariable("FOOBAR_TEST_TESTCONTAINERS") == "1" || !ServerBinariesInstalled();

    private static bool ServerBinariesInstalled() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(dir => File.Exists(Path.Combine(dir, "initdb")))
        || (Directory.Exists("/usr/lib/postgresql") && Directory.EnumerateFiles("/usr/lib/postgresql", "initdb", SearchOption.AllDirectories).Any());

    public async Task InitializeAsync()
    {
        if (MayUseDocker && await DockerEngine.AnswersAsync())
        {
            // postgres:15 as the compose stack runs it: pulled, or the stand-in deploy/local-images.sh builds where no
            // registry answers. DisposeAsync removes the container; the label lets .ci/run remove what a crashed test
            // process left behind. A fixed host port, so that an outage (stop, then start) keeps the address.
            await DockerEngine.PrepareForTestcontainersAsync();
            await LocalImages.EnsureAsync();
            _container = new PostgreSqlBuilder(Image)
                .WithPortBinding(FreePorts.Next(), PostgreSqlBuilder.PostgreSqlPort)
                .WithLabel(TestLabel, "postgres")
                .Build();
            await _container.StartAsync();
            _serverConnectionString = _container.GetConnectionString();
            Source = "testcontainers";
        }
        else if (Environment.GetEnvironmentVariable(ExternalVariable) is { Length: > 0 } external)
        {
            _serverConnectionString = external;
            Source = "external";
        }
        else
        {
            var root = Path.Combine(Path.GetTempPath(), $"foobar-test-pg-{Guid.NewGuid():N}");
            _cluster = new LocalPostgresCluster(root, FreePorts.Next());
            await _cluster.InitializeAsync();
            await _cluster.StartAsync();
            _serverConnectionString = _cluster.ConnectionString("postgres");
            Source = "local-cluster";
        }
    }

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "foobar_test")
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 33, 63)];
        await using var connection = new NpgsqlConnection(_serverConnectionString);
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await create.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(_serverConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>Stops the server, as an outage. Only a server this fixture owns can be stopped.</summary>
    public async Task StopServerAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.StopAsync();
        }
        else if (_container is not null)
        {
            // Stopped, not paused: a paused server still completes TCP handshakes and leaves clients hanging,
            // where a stopped one refuses them at once, as the local cluster does.
            await _container.StopAsync();
        }
        else
        {
            throw new InvalidOperationException($"Outage tests need a server they may stop; unset {ExternalVariable} to let the fixture start its own.");
        }
    }

    public async Task StartServerAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.StartAsync();
        }
        else if (_container is not null)
        {
            await _container.StartAsync();
        }
    }

    public async Task DisposeAsync()
    {
        if (_container is not null)
        {
            await _container.DisposeAsync();
        }

        if (_cluster is not null)
        {
            await _cluster.StopAsync();
            try
            {
                Directory.Delete(_cluster.RootDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A file still held open by a late-exiting server: the temp directory is cleaned by the OS eventually.
            }
        }
    }
}
