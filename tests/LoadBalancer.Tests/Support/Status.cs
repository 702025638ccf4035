using System.Net.Http.Json;
using System.Text.Json;

namespace Foobar.LoadBalancer.Tests.Support;

/// <summary>The parts of the admin /status body the tests read.</summary>
internal sealed record Status(string Node, long Requests, long Errors, int AvailableServers, List<StatusServer> Servers)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task<Status> GetAsync(HttpClient client, Uri adminUrl) =>
        (await client.GetFromJsonAsync<Status>(new Uri(adminUrl, "/status"), Json))!;

    public StatusServer Server(string address) => Servers.Single(s => s.Address == address);
}
