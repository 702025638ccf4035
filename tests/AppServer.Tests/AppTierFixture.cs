using Foobar.TestSupport;

namespace Foobar.AppServer.Tests;

/// <summary>A real PostgreSQL with the schema migrated, and two app servers (app-1, app-2) on it.</summary>
public sealed class AppTierFixture : IAsyncLifetime
{
    private readonly List<ServiceNode> _nodes = [];

    public PostgresFixture Postgres { get; } = new();

    public string ConnectionString { get; private set; } = "";

    public ServiceNode App1 => _nodes[0];

    public ServiceNode App2 => _nodes[1];

    public HttpClient Client1 { get; private set; } = null!;

    public HttpClient Client2 { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Postgres.InitializeAsync();
        ConnectionString = await Postgres.CreateDatabaseAsync();
        var (code, output) = await AppNodes.Migrate(ConnectionString).RunToCompletionAsync(TimeSpan.FromSeconds(60));
        Assert.True(code == 0, $"migrate failed ({code}): {output}");

        _nodes.Add(await AppNodes.Create("app-1", ConnectionString).StartAsync());
        _nodes.Add(await AppNodes.Create("app-2", ConnectionString).StartAsync());
        Client1 = new HttpClient { BaseAddress = App1.BaseUrl, Timeout = TimeSpan.FromSeconds(10) };
        Client2 = new HttpClient { BaseAddress = App2.BaseUrl, Timeout = TimeSpan.FromSeconds(10) };
    }

    public async Task DisposeAsync()
    {
        Client1?.Dispose();
        Client2?.Dispose();
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        await Postgres.DisposeAsync();
    }
}
