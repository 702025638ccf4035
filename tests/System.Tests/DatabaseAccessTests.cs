using Npgsql;

namespace Foobar.System.Tests;

/// <summary>
/// Issue 10's review finding on the Launcher's own PostgreSQL: no trust. Over TCP every role needs its password; the
/// app servers connect as a role that owns the foobar database and is not a superuser; that role cannot make
/// databases or roles.
/// </summary>
[Collection(StackCollection.Name)]
public sealed class DatabaseAccessTests(StackFixture stack)
{
    [Fact]
    public async Task Tcp_WithoutPassword_RefusedForEveryRole()
    {
        foreach (var user in new[] { "postgres", "foobar" })
        {
            await using var connection = new NpgsqlConnection(TcpConnectionString(user, password: null));
            var refused = await Assert.ThrowsAnyAsync<NpgsqlException>(() => connection.OpenAsync());
            Assert.Contains("password", refused.Message, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task AppRole_WithItsPassword_OwnsTheDatabaseButIsNoSuperuser()
    {
        // stack.json names the file; the password itself is only in that 0600 file.
        var password = (await File.ReadAllTextAsync(AppPasswordFile())).Trim();
        await using var connection = new NpgsqlConnection(TcpConnectionString("foobar", password));
        await connection.OpenAsync();

        Assert.Equal(false, await ScalarAsync(connection, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"));
        Assert.Equal("foobar", await ScalarAsync(connection, "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()"));
        // The app's tables are its own (the migrations ran as this role).
        Assert.Equal(0L, await ScalarAsync(connection, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner <> current_user"));
        var createDatabase = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync(connection, "CREATE DATABASE not_allowed"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, createDatabase.SqlState);
        var createRole = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync(connection, "CREATE ROLE not_allowed"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, createRole.SqlState);

        // Every app server's session is this role's, none the superuser's.
        var users = await ScalarAsync(connection, "SELECT string_agg(DISTINCT usename, ',') FROM pg_stat_activity WHERE datname = 'foobar' AND backend_type = 'client backend' AND pid <> pg_backend_pid()");
        Assert.Equal("foobar", users);
    }

    private string TcpConnectionString(string user, string? password) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = stack.Launcher.Ports.Postgres,
            Username = user,
            Password = password,
            Database = "foobar",
            Pooling = false,
            Timeout = 10,
        }.ConnectionString;

    private string AppPasswordFile() =>
        stack.Launcher.Stack!.DatabasePasswordFile ?? throw new InvalidOperationException("stack.json names no databasePasswordFile");

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }
}
