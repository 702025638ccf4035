using Npgsql;

namespace Foobar.AppServer.Tests;

/// <summary>Reads the database directly, to assert on rows rather than on what the API says about them.</summary>
internal static class Sql
{
    public static async Task<long> CountByKeyAsync(string connectionString, string key)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM messages WHERE idempotency_key = $1", connection) { Parameters = { new() { Value = key } } };
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public static async Task<T> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
