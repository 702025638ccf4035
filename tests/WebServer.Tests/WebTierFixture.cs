using System.Net;
using System.Text.Json;
using Foobar.TestSupport;

namespace Foobar.WebServer.Tests;

/// <summary>
/// A real PostgreSQL with the schema migrated, two app servers (app-1, app-2) and a web server (web-1) in front
/// of them, all real processes. Tests that kill servers start their own on the same database.
/// </summary>
public sealed class WebTierFixture : IAsyncLifetime
{
    private readonly List<ServiceNode> _nodes = [];

    public PostgresFixture Postgres { get; } = new();

    public string ConnectionString { get; private set; } = "";

    public ServiceNode Web { get; private set; } = null!;

    public int ManagementPort { get; } = FreePorts.Next();

    /// <summary>A client that sees the wire as it is: no automatic decompression, no redirects.</summary>
    public HttpClient Client { get; private set; } = null!;

    public HttpClient Management { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Postgres.InitializeAsync();
        ConnectionString = await Postgres.CreateDatabaseAsync();
        var (code, output) = await Nodes.Migrate(ConnectionString).RunToCompletionAsync(TimeSpan.FromSeconds(60));
        Assert.True(code == 0, $"migrate failed ({code}): {output}");

        var apps = new[] { Nodes.App("app-1", ConnectionString), Nodes.App("app-2", ConnectionString) };
        _nodes.AddRange(apps);
        await Task.WhenAll(apps.Select(a => a.StartAsync()));
        Web = Nodes.Web("web-1", apps, ManagementPort);
        _nodes.Add(Web);
        await Web.StartAsync();

        Client = new HttpClient(new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.None, AllowAutoRedirect = false })
        {
            BaseAddress = Web.BaseUrl,
            Timeout = TimeSpan.FromSeconds(15),
        };
        Management = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{ManagementPort}"), Timeout = TimeSpan.FromSeconds(15) };
        await Poll.UntilAsync(async () => await AvailableAppServersAsync(Management) == 2, TimeSpan.FromSeconds(30), "both app servers healthy");
    }

    public static async Task<int> AvailableAppServersAsync(HttpClient management)
    {
        using var response = await management.GetAsync("/internal/status");
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return -1;
        }

        using var status = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return status.RootElement.GetProperty("availableAppServers").GetInt32();
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        Management?.Dispose();
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        await Postgres.DisposeAsync();
    }
}
