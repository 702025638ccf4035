using System.Net.Sockets;
using Foobar.Launcher.Postgres;
using Npgsql;
using Testcontainers.PostgreSql;

namespace Foobar.TestSupport;

/// <summary>
/// A real PostgreSQL server for a test collection, found in the order README's Tests section gives:
/// Testcontainers where a Docker engine answers; else the server in <c>FOOBAR_TEST_POSTGRES</c>;
/// else a throwaway cluster from the installed binaries (the Launcher's own code), removed afterwards.
/// Each test class asks for a fresh database, so no state leaks between classes.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public const string ExternalVariable = "FOOBAR_TEST_POSTGRES";

    private PostgreSqlContainer? _container;
    private LocalPostgresCluster? _cluster;
    private string _serverConnectionString = "";

    /// <summary>Which of the three sources is in use: "testcontainers", "external" or "local-cluster".</summary>
    public string Source { get; private set; } = "";

    public async Task InitializeAsync()
    {
        if (await DockerEngineAnswersAsync())
        {
            _container = new PostgreSqlBuilder("postgres:15-alpine").Build();
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
            await _container.PauseAsync();
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
            await _container.UnpauseAsync();
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

    private static async Task<bool> DockerEngineAnswersAsync()
    {
        if (Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 })
        {
            return true;
        }

        const string socketPath = "/var/run/docker.sock";
        if (!File.Exists(socketPath))
        {
            return false;
        }

        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath)).WaitAsync(TimeSpan.FromSeconds(2));
            return true;
        }
        catch (Exception ex) when (ex is SocketException or TimeoutException)
        {
            return false;
        }
    }
}
