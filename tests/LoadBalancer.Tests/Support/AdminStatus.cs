using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Foobar.LoadBalancer.Admin;

namespace Foobar.LoadBalancer.Tests.Support;

/// <summary>The admin <c>/status</c> body read back into the load balancer's own <see cref="StatusResponse"/>: one shape for the server and its tests.</summary>
internal static class AdminStatus
{
    // As the admin API writes it (LoadBalancerHostingExtensions): camelCase, enums by name.
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    public static async Task<StatusResponse> GetAsync(HttpClient client, Uri adminUrl) =>
        (await client.GetFromJsonAsync<StatusResponse>(new Uri(adminUrl, "/status"), Json))!;

    public static ServerStatus Server(this StatusResponse status, string address) => status.Servers.Single(s => s.Address == address);
}
