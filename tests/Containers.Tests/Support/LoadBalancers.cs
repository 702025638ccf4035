using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

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

    /// <summary>The value of one unlabelled gauge on lb's /metrics (the admin listener), as Prometheus scrapes it; null when absent.</summary>
    public static async Task<double?> GaugeAsync(IAdminEndpoints stack, string lb, string name)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var metrics = await client.GetStringAsync(new Uri(stack.AdminUrl(lb), "metrics"));
        var match = Regex.Match(metrics, $@"^{Regex.Escape(name)}(?:\{{[^}}]*\}})? (\S+)$", RegexOptions.Multiline);
        return match.Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : null;
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
