using Foobar.Launcher.Postgres;
using Foobar.TestSupport;
using Npgsql;

namespace Foobar.Launcher.Tests.Postgres;

/// <summary>
/// Issue 10's review of the Launcher's own PostgreSQL: no trust, a password over TCP, peer on the socket, and an app
/// role that is no superuser. A real cluster from the installed binaries, made once for the class.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class LocalPostgresClusterTests : IAsyncLifetime
{
    private const string Database = "foobar";
    private readonly LocalPostgresCluster _cluster = new(Path.Combine(Path.GetTempPath(), $"foobar-pg-auth-{Guid.NewGuid():N}"), FreePorts.Next());

    public async Task InitializeAsync()
    {
        await _cluster.InitializeAsync();
        await _cluster.StartAsync();
        await _cluster.EnsureDatabaseAsync(Database);
        await _cluster.EnsureAppRoleAsync(Database);
    }

    [Fact]
    public async Task Connect_SuperUserWithoutPassword_Refused()
    {
        var noPassword = new NpgsqlConnectionStringBuilder(_cluster.ConnectionString("postgres")) { Password = null, Pooling = false }.ConnectionString;
        await using var connection = new NpgsqlConnection(noPassword);

        await Assert.ThrowsAnyAsync<NpgsqlException>(() => connection.OpenAsync());
    }

    [Fact]
    public async Task Connect_WrongPassword_Refused()
    {
        var wrong = new NpgsqlConnectionStringBuilder(_cluster.ConnectionString("postgres")) { Password = "guess", Pooling = false }.ConnectionString;
        await using var connection = new NpgsqlConnection(wrong);

        var error = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync());
        Assert.Equal(PostgresErrorCodes.InvalidPassword, error.SqlState);
    }

    [Fact]
    public void Files_PasswordsPrivateAndNoTrustRule()
    {
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_cluster.SuperUserPasswordFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_cluster.AppPasswordFile));
        var rules = File.ReadAllLines(Path.Combine(_cluster.DataDirectory, "pg_hba.conf")).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        Assert.DoesNotContain(rules, r => r.Contains("trust", StringComparison.Ordinal));
        Assert.Contains(rules, r => r.StartsWith("local", StringComparison.Ordinal) && r.EndsWith("peer", StringComparison.Ordinal));
        Assert.Contains(rules, r => r.StartsWith("host", StringComparison.Ordinal) && r.EndsWith("scram-sha-256", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AppRole_NoSuperuserButOwnsItsDatabase()
    {
        await using var app = new NpgsqlConnection(_cluster.AppConnectionString(Database));
        await app.OpenAsync();

        Assert.Equal(false, await ScalarAsync(app, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"));
        Assert.Equal(LocalPostgresCluster.AppRole, await ScalarAsync(app, "SELECT current_user"));
        // What migrations do: create, alter and drop tables in the database's public schema.
        await ScalarAsync(app, "CREATE TABLE probe (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY); ALTER TABLE probe ADD COLUMN n int; DROP TABLE probe; SELECT 1");
        var noDatabase = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync(app, "CREATE DATABASE other"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, noDatabase.SqlState);
        var noSecrets = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync(app, "SELECT count(*) FROM pg_authid"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, noSecrets.SqlState);
    }

    [Fact]
    public async Task AppRole_OtherDatabases_NotReachable()
    {
        var postgres = new NpgsqlConnectionStringBuilder(_cluster.AppConnectionString(Database)) { Database = Database, Pooling = false };
        await _cluster.EnsureDatabaseAsync("elsewhere");
        await using (var owner = new NpgsqlConnection(_cluster.ConnectionString("elsewhere")))
        {
            await owner.OpenAsync();
            await ScalarAsync(owner, "REVOKE ALL ON DATABASE elsewhere FROM PUBLIC; SELECT 1");
        }

        postgres.Database = "elsewhere";
        await using var app = new NpgsqlConnection(postgres.ConnectionString);
        var error = await Assert.ThrowsAsync<PostgresException>(() => app.OpenAsync());
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        Directory.Delete(_cluster.RootDirectory, recursive: true);
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }
}
