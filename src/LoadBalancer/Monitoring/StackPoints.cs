using Foobar.LoadBalancer.Admin;

namespace Foobar.LoadBalancer.Monitoring;

/// <summary>
/// Turns two successive polls into one <see cref="SeriesPoint"/> per node: counters become rates over the interval,
/// histogram buckets become that interval's percentiles. A counter that went backwards (the process restarted) gives
/// no point for that interval rather than a negative rate.
/// </summary>
internal static class StackPoints
{
    public static SeriesPoint For(NodeReading now, NodeReading? before, IReadOnlyList<(NodeReading Now, NodeReading? Before)> loadBalancers, Func<string, string> nameOf)
    {
        var t = now.At.ToUnixTimeMilliseconds();
        if (!now.Reachable)
        {
            return new SeriesPoint(t, null, null, null, null, null, null, null, null);
        }

        var seconds = before is { Reachable: true } ? (now.At - before.At).TotalSeconds : 0;
        var m = now.Metrics;
        var b = before?.Metrics;
        double? Rate(double? current, double? previous) =>
            seconds > 0 && current is { } c && previous is { } p && c >= p ? (c - p) / seconds : null;

        var cpu = Rate(m?.Sum("process_cpu_seconds_total"), b?.Sum("process_cpu_seconds_total"));
        var memory = m?.Sum("process_working_set_bytes") / (1024 * 1024);
        var gc = Rate(m?.Sum("system_runtime_dotnet_gc_pause_time"), b?.Sum("system_runtime_dotnet_gc_pause_time")) * 1000;
        var queue = m?.Sum("system_runtime_dotnet_thread_pool_queue_length");

        double? rps = null, eps = null, p50 = null, p99 = null;
        switch (now.Node.Role)
        {
            case "lb" when now.LbStatus is { } status:
                rps = Rate(status.Requests, before?.LbStatus?.Requests);
                eps = Rate(status.Errors, before?.LbStatus?.Errors);
                // The edge's latency is its web servers' as it measured them: the slowest server's percentiles.
                var latencies = Servers(status).Select(s => s.Latency).OfType<(double P50, double P99)>().ToList();
                p50 = latencies.Count > 0 ? latencies.Max(l => l.P50) : null;
                p99 = latencies.Count > 0 ? latencies.Max(l => l.P99) : null;
                break;
            case "web":
                // Counted by the load balancers that forward to it: the sum over them, latency from the busiest.
                var seen = loadBalancers
                    .Where(lb => lb.Now.LbStatus is not null && lb.Before?.LbStatus is not null)
                    .Select(lb => (Now: Servers(lb.Now.LbStatus!).FirstOrDefault(s => nameOf(s.Name) == now.Node.Name),
                                   Before: Servers(lb.Before!.LbStatus!).FirstOrDefault(s => nameOf(s.Name) == now.Node.Name),
                                   Seconds: (lb.Now.At - lb.Before.At).TotalSeconds))
                    .Where(x => x.Now.Name is not null && x.Before.Name is not null && x.Seconds > 0 && x.Now.Requests >= x.Before.Requests)
                    .ToList();
                if (seen.Count > 0)
                {
                    rps = seen.Sum(x => (x.Now.Requests - x.Before.Requests) / x.Seconds);
                    eps = seen.Sum(x => Math.Max(0, x.Now.Errors - x.Before.Errors) / x.Seconds);
                    var busiest = seen.MaxBy(x => x.Now.Requests - x.Before.Requests);
                    if (busiest.Now.Requests > busiest.Before.Requests && busiest.Now.Latency is { } latency)
                    {
                        (p50, p99) = latency;
                    }
                }

                break;
            case "app" when m is not null:
                rps = Rate(m.Sum("http_requests_received_total"), b?.Sum("http_requests_received_total"));
                eps = Rate(m.Sum("http_requests_received_total", "code=\"5") ?? 0, b?.Sum("http_requests_received_total", "code=\"5") ?? 0);
                if (b is not null)
                {
                    p50 = Quantile(0.50, m.Buckets("http_request_duration_seconds"), b.Buckets("http_request_duration_seconds")) * 1000;
                    p99 = Quantile(0.99, m.Buckets("http_request_duration_seconds"), b.Buckets("http_request_duration_seconds")) * 1000;
                }

                break;
        }

        return new SeriesPoint(t, Round(rps), Round(eps), Round(p50), Round(p99), Round(cpu, 3), Round(memory), Round(gc), queue);
    }

    /// <summary>A load balancer's /status servers: name, counters, health, and the window's p50/p99 if any.</summary>
    public static IEnumerable<(string Name, double Requests, double Errors, string Health, bool Available, string State, (double P50, double P99)? Latency)> Servers(StatusResponse status) =>
        status.Servers.Select(s => (s.Name, (double)s.Requests, (double)s.Errors, s.Health, s.Available, s.State,
            s.LatencyMs is { } l ? (l.P50, l.P99) : ((double P50, double P99)?)null));

    /// <summary>Prometheus's histogram_quantile over the interval's bucket increments (linear within a bucket).</summary>
    public static double? Quantile(double q, SortedDictionary<double, double> now, SortedDictionary<double, double> before)
    {
        var increments = now.Select(b => (Bound: b.Key, Count: b.Value - before.GetValueOrDefault(b.Key))).ToList();
        if (increments.Count == 0 || increments[^1].Count <= 0 || increments.Any(b => b.Count < 0))
        {
            return null;
        }

        var rank = q * increments[^1].Count;
        double lowerBound = 0, lowerCount = 0;
        foreach (var (bound, count) in increments)
        {
            if (count >= rank)
            {
                return double.IsPositiveInfinity(bound) ? lowerBound
                    : lowerBound + (bound - lowerBound) * (count == lowerCount ? 1 : (rank - lowerCount) / (count - lowerCount));
            }

            (lowerBound, lowerCount) = (bound, count);
        }

        return lowerBound;
    }

    private static double? Round(double? value, int digits = 2) => value is { } v ? Math.Round(v, digits) : null;
}
