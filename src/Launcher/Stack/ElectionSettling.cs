using System.Text.Json;

namespace Foobar.Launcher.Stack;

/// <summary>
/// The last step of a stack start: "ready" means one load balancer holds the virtual endpoint as Master, every
/// other one is a healthy Backup that does not hold it, and that stays so for a while. Two load balancers started
/// together may both become Master for a moment (each before it hears the other), and the preferred one then
/// preempts; an endpoint that answered once during that moment says nothing about the next request.
/// </summary>
internal static class ElectionSettling
{
    /// <summary>How long the election must look settled: several advertisement intervals (0.2 s each by default).</summary>
    private static readonly TimeSpan Stable = TimeSpan.FromSeconds(1.5);

    public static async Task WaitAsync(IReadOnlyList<string> adminUrls, HttpClient client, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        DateTime? settledSince = null;
        var last = "no status yet";
        while (true)
        {
            var views = new List<(string State, bool Holds, bool Healthy)>();
            foreach (var url in adminUrls)
            {
                if (await ReadAsync(client, url, ct) is { } view)
                {
                    views.Add(view);
                }
            }

            var settled = views.Count == adminUrls.Count
                && views.Count(v => v.State == "Master" && v.Holds) == 1
                && views.Count(v => v.State == "Backup" && !v.Holds) == views.Count - 1
                && views.All(v => v.Healthy);
            last = string.Join(", ", views.Select(v => $"{v.State}{(v.Holds ? " holding" : "")}{(v.Healthy ? "" : " unhealthy")}"));
            if (!settled)
            {
                settledSince = null;
            }
            else if ((settledSince ??= DateTime.UtcNow) + Stable <= DateTime.UtcNow)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new NodeStartException("election", $"no single leader holding the endpoint after {timeout.TotalSeconds:0} s (last seen: {last})", []);
            }

            await Task.Delay(100, ct);
        }
    }

    private static async Task<(string State, bool Holds, bool Healthy)?> ReadAsync(HttpClient client, string adminUrl, CancellationToken ct)
    {
        try
        {
            using var document = JsonDocument.Parse(await client.GetStringAsync($"{adminUrl}/status", ct));
            if (!document.RootElement.TryGetProperty("election", out var election) || election.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            return (election.GetProperty("state").GetString() ?? "",
                election.TryGetProperty("holdsEndpoint", out var holds) && holds.GetBoolean(),
                election.TryGetProperty("healthy", out var healthy) && healthy.GetBoolean());
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException or InvalidOperationException && !ct.IsCancellationRequested)
        {
            return null;
        }
    }
}
