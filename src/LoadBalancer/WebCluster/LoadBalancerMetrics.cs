using System.Diagnostics.Metrics;
using Foobar.Proxy;

namespace Foobar.LoadBalancer.WebCluster;

/// <summary>
/// The load balancer's own instruments (meter <c>Foobar.LoadBalancer</c>, on /metrics): per web server requests,
/// errors, in-flight and availability. Observable, so they are read at scrape time from the counters the statistics
/// middleware keeps anyway: nothing is recorded per request, which is why the LB can turn off the generic per-request
/// HTTP metrics (<c>Metrics:PerRequest=false</c>) and lose nothing an operator needs.
/// </summary>
internal sealed class LoadBalancerMetrics
{
    public const string MeterName = "Foobar.LoadBalancer";

    public LoadBalancerMetrics(IMeterFactory meterFactory, WebServerStatistics statistics, ProxyCluster cluster)
    {
        var meter = meterFactory.Create(MeterName);
        meter.CreateObservableCounter("foobar.lb.requests", () => PerServer(cluster, s => statistics.For(s.Id).Requests), "{request}", "Requests forwarded to each web server");
        meter.CreateObservableCounter("foobar.lb.errors", () => PerServer(cluster, s => statistics.For(s.Id).Errors), "{request}", "Requests to each web server that failed (no response, or 5xx)");
        meter.CreateObservableGauge("foobar.lb.in_flight", () => PerServer(cluster, s => (long)s.InFlight), "{request}", "Requests being forwarded to each web server");
        meter.CreateObservableGauge("foobar.lb.server.available", () => PerServer(cluster, s => s.Available ? 1L : 0L), "{server}", "1 when a web server may take new requests (healthy or unknown, not drained)");
        // The dashboard's window (the last LatencyWindow.Capacity requests per server), read at scrape time: the LB keeps no
        // per-request histogram, so these gauges are what the "p99 over target" alert watches.
        meter.CreateObservableGauge("foobar.lb.latency.p50", () => Latency(cluster, statistics, p => p.P50), "ms", "Median latency of the recent requests to each web server");
        meter.CreateObservableGauge("foobar.lb.latency.p99", () => Latency(cluster, statistics, p => p.P99), "ms", "99th percentile latency of the recent requests to each web server");
        meter.CreateObservableCounter("foobar.lb.proxied.requests", () => statistics.Requests, "{request}", "Requests answered through the proxy, 503s with no server included");
        meter.CreateObservableCounter("foobar.lb.proxied.errors", () => statistics.Errors, "{request}", "Proxied requests that failed (no server, no response, or 5xx)");
    }

    private static IEnumerable<Measurement<double>> Latency(ProxyCluster cluster, WebServerStatistics statistics, Func<LatencyPercentiles, double> value) =>
        cluster.Destinations()
            .Select(s => (s.Id, Percentiles: statistics.For(s.Id).Latency.Percentiles()))
            .Where(s => s.Percentiles is not null)
            .Select(s => new Measurement<double>(value(s.Percentiles!), new KeyValuePair<string, object?>("server", s.Id)));

    private static IEnumerable<Measurement<long>> PerServer(ProxyCluster cluster, Func<DestinationStatus, long> value) =>
        cluster.Destinations().Select(s => new Measurement<long>(value(s), new KeyValuePair<string, object?>("server", s.Id)));
}
