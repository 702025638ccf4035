using System.Net.Http.Json;
using System.Text.Json;

namespace Foobar.Containers.Tests.Support;

/// <summary>The load balancers' admin API (/status) as published on the host's loopback.</summary>
internal static class LoadBalancers
{
    /// <summary>The election state lb reports ("Master", "Backup"), or null when its admin listener does not answer.</summary>
    public static async Task<string?> ElectionStateAsync(IAdminEndpoints stack, string lb)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        try
        {
            var status = await client.GetFromJsonAsync<JsonElement>(new Uri(stack.AdminUrl(lb), "status"));
            return status.GetProperty("election").GetProperty("state").GetString();
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException)
        {
            return null;
        }
    }

    public static async Task<JsonElement> StatusAsync(IAdminEndpoints stack, string lb)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        return await client.GetFromJsonAsync<JsonElement>(new Uri(stack.AdminUrl(lb), "status"));
    }

    public static async Task WaitForStateAsync(IAdminEndpoints stack, string lb, string state, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        string? last;
        while ((last = await ElectionStateAsync(stack, lb)) != state)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{lb} is '{last}', not {state}, after {timeout}");
            await Task.Delay(200);
        }
    }
}
