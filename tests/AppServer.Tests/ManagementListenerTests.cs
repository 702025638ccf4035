using System.Net;
using Foobar.TestSupport;

namespace Foobar.AppServer.Tests;

[Collection(PostgresCollection.Name)]
public sealed class ManagementListenerTests(PostgresFixture postgres)
{
    [Fact]
    public async Task ManagementPaths_OnlyOnManagementPort_HealthOnBoth()
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        var managementPort = FreePorts.Next();
        await using var app = await AppNodes.Create("app-m", connectionString, new Dictionary<string, string?>
        {
            ["Management:Url"] = $"http://127.0.0.1:{managementPort}",
        }).StartAsync("/health/live");
        using var client = new HttpClient();
        var management = $"http://127.0.0.1:{managementPort}";

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(new Uri(app.BaseUrl, "/metrics"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(new Uri(app.BaseUrl, "/internal/anything"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"{management}/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"{management}/api/messages")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri(app.BaseUrl, "/health/live"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"{management}/health/live")).StatusCode);

        // A Host header naming the management port must not open the door on the public port.
        using var spoofed = new HttpRequestMessage(HttpMethod.Get, new Uri(app.BaseUrl, "/metrics"));
        spoofed.Headers.Host = $"127.0.0.1:{managementPort}";
        Assert.Equal(HttpStatusCode.NotFound, (await client.SendAsync(spoofed)).StatusCode);
    }
}
