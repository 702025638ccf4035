using Foobar.Deployment.Tests.Support;
using Foobar.TestSupport;
using Npgsql;

namespace Foobar.Deployment.Tests;

/// <summary>
/// deploy/postgres-init/10-app-role.sh, run as the postgres image runs it (psql as the superuser, POSTGRES_USER and
/// POSTGRES_DB set), against a real server: the app's role it makes can migrate its database and nothing more.
/// </summary>
public sealed class PostgresInitTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>, IDisposable
{
    private static readonly string Script = Path.Combine(RepoPaths.Root, "deploy", "postgres-init", "10-app-role.sh");
    private readonly string _directory = Directory.CreateTempSubdirectory("foobar-pg-init-").FullName;

    [Fact]
    public async Task AppRole_LogsInOwnsItsDatabaseAndIsNoSuperuser()
    {
        var database = new NpgsqlConnectionStringBuilder(await postgres.CreateDatabaseAsync("init"));
        var role = $"app_{Guid.NewGuid():N}"[..20];
        var passwordFile = Path.Combine(_directory, "postgres_password");
        await File.WriteAllTextAsync(passwordFile, "a 'quoted' password; with spaces\n");

        var result = await CommandLine.RunAsync("/bin/sh", [Script], RepoPaths.Root, TimeSpan.FromMinutes(1), new Dictionary<string, string?>
        {
            ["POSTGRES_USER"] = database.Username,
            ["POSTGRES_DB"] = database.Database,
            ["PGHOST"] = database.Host,
            ["PGPORT"] = database.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["PGPASSWORD"] = database.Password,
            ["FOOBAR_APP_PASSWORD_FILE"] = passwordFile,
            ["FOOBAR_APP_ROLE"] = role,
        });
        Assert.True(result.ExitCode == 0, result.ToString());

        // Over TCP, with the password, as the app servers in compose log in. (The throwaway local cluster hands out
        // Unix-socket connection strings, where only peer authentication of the test's own user is allowed.)
        var app = new NpgsqlConnectionStringBuilder(database.ConnectionString)
        {
            Host = database.Host!.StartsWith('/') ? "127.0.0.1" : database.Host,
            Username = role,
            Password = "a 'quoted' password; with spaces",
            Pooling = false,
        };
        await using var connection = new NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync();
        Assert.Equal(false, await ScalarAsync(connection, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"));
        Assert.Equal(role, await ScalarAsync(connection, "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()"));
        // What migrations need: tables in the public schema.
        await ScalarAsync(connection, "CREATE TABLE probe (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY); DROP TABLE probe; SELECT 1");
        var noDatabase = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync(connection, "CREATE DATABASE other"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, noDatabase.SqlState);
        var noHashes = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync(connection, "SELECT count(*) FROM pg_authid"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, noHashes.SqlState);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }
}
