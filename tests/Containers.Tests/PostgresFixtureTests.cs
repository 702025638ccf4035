using Foobar.TestSupport;
using Npgsql;

namespace Foobar.Containers.Tests;

/// <summary>
/// Both ways the other test projects get a PostgreSQL: Testcontainers (postgres:15 on this engine) and the throwaway
/// local cluster that machines without an engine use. Each gives a fresh database and survives an outage.
/// </summary>
public sealed class PostgresFixtureTests
{
    [Fact]
    public async Task Testcontainers_WithAnEngine_FreshDatabaseAndOutage()
    {
        await using var fixture = new Owned<PostgresFixture>(new TestcontainersPostgresFixture());
        await fixture.Value.InitializeAsync();

        Assert.Equal("testcontainers", fixture.Value.Source);
        await AssertDatabaseAndOutageAsync(fixture.Value);
    }

    [Fact]
    public async Task LocalCluster_EvenWithAnEngine_FreshDatabaseAndOutage()
    {
        await using var fixture = new Owned<PostgresFixture>(new LocalClusterPostgresFixture());
        await fixture.Value.InitializeAsync();

        Assert.Equal("local-cluster", fixture.Value.Source);
        await AssertDatabaseAndOutageAsync(fixture.Value);
    }

    private static async Task AssertDatabaseAndOutageAsync(PostgresFixture fixture)
    {
        var connectionString = await fixture.CreateDatabaseAsync();
        Assert.Equal(15, await ServerMajorVersionAsync(connectionString));

        await fixture.StopServerAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => ServerMajorVersionAsync(connectionString));
        await fixture.StartServerAsync();

        // Same address after the outage, as the outage tests rely on.
        Assert.Equal(15, await ServerMajorVersionAsync(connectionString));
    }

    private static async Task<int> ServerMajorVersionAsync(string connectionString)
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Timeout = 10, Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        return connection.PostgreSqlVersion.Major;
    }

    /// <summary>Disposes the fixture the way xunit would.</summary>
    private sealed class Owned<T>(T value) : IAsyncDisposable
        where T : IAsyncLifetime
    {
        public T Value => value;

        public async ValueTask DisposeAsync() => await value.DisposeAsync();
    }
}
