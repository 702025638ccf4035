using System.Net;
using System.Text.Json;

namespace Foobar.LoadBalancer.Monitoring;

/// <summary>
/// Polls one node's management listener: /metrics for every role, plus what says how it is: a load balancer's
/// /status, a web server's /internal/status (which includes the app servers as it sees them), an app server's
/// /health/ready (which checks the database).
/// </summary>
internal sealed class NodeProbe(HttpClient http, TimeProvider time)
{
    public async Task<NodeReading> ReadAsync(MonitoredNode node, CancellationToken ct)
    {
        var at = time.GetUtcNow();
        if (node.ManagementUrl is not { } management)
        {
            return new NodeReading(node, at) { Error = "no management URL configured" };
        }

        var root = new Uri(management.TrimEnd('/') + "/");
        try
        {
            var metrics = http.GetStringAsync(new Uri(root, "metrics"), ct);
            var reading = node.Role switch
            {
                "lb" => new NodeReading(node, at) { Status = await GetJsonAsync(new Uri(root, "status"), ct) },
                "web" => new NodeReading(node, at) { Status = await GetJsonAsync(new Uri(root, "internal/status"), ct) },
                _ => new NodeReading(node, at) { Ready = await IsReadyAsync(new Uri(root, "health/ready"), ct) },
            };
            return reading with { Metrics = new PrometheusText(await metrics) };
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException && !ct.IsCancellationRequested)
        {
            return new NodeReading(node, at) { Error = ex is TaskCanceledException ? "timed out" : ex.Message };
        }
    }

    private async Task<JsonElement> GetJsonAsync(Uri uri, CancellationToken ct)
    {
        await using var stream = await http.GetStreamAsync(uri, ct);
        using var document = await JsonDocument.ParseAsync(stream, cancellationToken: ct);
        return document.RootElement.Clone();
    }

    private async Task<bool> IsReadyAsync(Uri uri, CancellationToken ct)
    {
        using var response = await http.GetAsync(uri, ct);
        return response.StatusCode == HttpStatusCode.OK ? true
            : response.StatusCode == HttpStatusCode.ServiceUnavailable ? false
            : throw new HttpRequestException($"{uri} answered {(int)response.StatusCode}");
    }
}
