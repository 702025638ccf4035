using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Foobar.LoadBalancer.Admin;
using Foobar.Proxy;

namespace Foobar.LoadBalancer.Monitoring;

/// <summary>
/// Polls one node's management listener: /metrics for every role, plus what says how it is: a load balancer's
/// /status, a web server's /internal/status (which includes the app servers as it sees them), an app server's
/// /health/ready (which checks the database).
/// </summary>
internal sealed class NodeProbe(HttpClient http, TimeProvider time)
{
    // As the tiers write their status (the admin API names enums, LoadBalancerHostingExtensions).
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    public async Task<NodeReading> ReadAsync(MonitoredNode node, CancellationToken ct)
    {
        var at = time.GetUtcNow();
        if (node.ManagementUrl is not { } management)
        {
            return new NodeReading(node, at) { Error = "no management URL configured" };
        }

        var root = new Uri(management.TrimEnd('/') + "/");
        // The client's timeout ends at the headers of a streamed answer: the bodies get the same bound, for the whole poll.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(http.Timeout);
        try
        {
            var metrics = ReadMetricsAsync(new Uri(root, "metrics"), timeout.Token);
            var reading = node.Role switch
            {
                "lb" => new NodeReading(node, at) { LbStatus = await GetJsonAsync<StatusResponse>(new Uri(root, "status"), timeout.Token) },
                "web" => new NodeReading(node, at) { WebStatus = await GetJsonAsync<NodeStatus>(new Uri(root, "internal/status"), timeout.Token) },
                _ => new NodeReading(node, at) { Ready = await IsReadyAsync(new Uri(root, "health/ready"), timeout.Token) },
            };
            return reading with { Metrics = await metrics };
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException or JsonException && !ct.IsCancellationRequested)
        {
            return new NodeReading(node, at) { Error = ex is OperationCanceledException ? "timed out" : ex.Message };
        }
    }

    private async Task<PrometheusText> ReadMetricsAsync(Uri uri, CancellationToken ct)
    {
        await using var stream = await http.GetStreamAsync(uri, ct);
        return await PrometheusText.ReadAsync(stream, ct);
    }

    private async Task<T> GetJsonAsync<T>(Uri uri, CancellationToken ct)
    {
        await using var stream = await http.GetStreamAsync(uri, ct);
        return await JsonSerializer.DeserializeAsync<T>(stream, Json, ct) ?? throw new JsonException($"{uri} answered null");
    }

    private async Task<bool> IsReadyAsync(Uri uri, CancellationToken ct)
    {
        using var response = await http.GetAsync(uri, ct);
        return response.StatusCode == HttpStatusCode.OK ? true
            : response.StatusCode == HttpStatusCode.ServiceUnavailable ? false
            : throw new HttpRequestException($"{uri} answered {(int)response.StatusCode}");
    }
}
