using Foobar.LoadBalancer.Monitoring;

namespace Foobar.LoadBalancer.Tests.Monitoring;

public sealed class StackPointsTests
{
    private const string Before = """
        # TYPE http_request_duration_seconds histogram
        http_request_duration_seconds_bucket{code="200",le="0.01"} 10
        http_request_duration_seconds_bucket{code="200",le="0.1"} 10
        http_request_duration_seconds_bucket{code="200",le="+Inf"} 10
        http_requests_received_total{code="200",method="GET"} 10
        http_requests_received_total{code="503",method="GET"} 0
        process_cpu_seconds_total 1.5
        """;

    // One second later: 100 more requests, 90 under 10 ms, 10 between 10 and 100 ms, 5 of them 503.
    private const string After = """
        http_request_duration_seconds_bucket{code="200",le="0.01"} 100
        http_request_duration_seconds_bucket{code="200",le="0.1"} 110
        http_request_duration_seconds_bucket{code="200",le="+Inf"} 110
        http_requests_received_total{code="200",method="GET"} 105
        http_requests_received_total{code="503",method="GET"} 5
        process_cpu_seconds_total 2.0
        """;

    [Fact]
    public void For_AppServer_RatesAndIntervalPercentilesFromTwoScrapes()
    {
        var node = new MonitoredNode { Name = "app-1", Role = "app" };
        var t0 = DateTimeOffset.UnixEpoch.AddHours(1);
        var before = new NodeReading(node, t0) { Metrics = new PrometheusText(Before), Ready = true };
        var after = new NodeReading(node, t0.AddSeconds(1)) { Metrics = new PrometheusText(After), Ready = true };

        var point = StackPoints.For(after, before, [], id => id);

        Assert.Equal(100, point.Rps);
        Assert.Equal(5, point.Eps);
        Assert.Equal(0.5, point.Cpu);
        // p50 is rank 50 of the 100 new requests, all in the first bucket: halfway between 0 and 10 ms (linear, as
        // Prometheus's histogram_quantile); p99 is rank 99, the 9th of 10 in the (10 ms, 100 ms] bucket.
        Assert.Equal(5.56, point.P50!.Value, 2);
        Assert.Equal(91, point.P99!.Value, 0);
    }

    [Fact]
    public void For_CounterWentBackwards_NoRateRatherThanANegativeOne()
    {
        var node = new MonitoredNode { Name = "app-1", Role = "app" };
        var t0 = DateTimeOffset.UnixEpoch.AddHours(1);
        var before = new NodeReading(node, t0) { Metrics = new PrometheusText(After) };
        var after = new NodeReading(node, t0.AddSeconds(1)) { Metrics = new PrometheusText(Before) };

        var point = StackPoints.For(after, before, [], id => id);

        Assert.Null(point.Rps);
        Assert.Null(point.Cpu);
        Assert.Null(point.P99);
    }

    [Fact]
    public void Observe_FailoverWithExactTimes_LanesMeetAtTheReportedInstants()
    {
        var timeline = new EndpointTimeline();
        var t0 = DateTimeOffset.UnixEpoch.AddHours(1);
        timeline.Observe("lb-1", "holds", t0, null);
        timeline.Observe("lb-2", "backup", t0, null);
        timeline.Observe("lb-1", "holds", t0.AddSeconds(1), null);
        timeline.Observe("lb-2", "backup", t0.AddSeconds(1), null);
        // Poll at t0+2: lb-1 gone (last heard at +1.2 s), lb-2 became Master at +1.9 s.
        timeline.Observe("lb-1", "down", t0.AddSeconds(2), t0.AddSeconds(1.2));
        timeline.Observe("lb-2", "holds", t0.AddSeconds(2), t0.AddSeconds(1.9));

        var lanes = timeline.Snapshot(t0.AddMinutes(-1));

        var lb1 = lanes.Single(l => l.Node == "lb-1").Segments;
        var lb2 = lanes.Single(l => l.Node == "lb-2").Segments;
        Assert.Equal(["holds", "down"], lb1.Select(s => s.State));
        Assert.Equal(t0.AddSeconds(1.2), lb1[0].To);
        Assert.Equal(t0.AddSeconds(1.2), lb1[1].From);
        Assert.Equal(["backup", "holds"], lb2.Select(s => s.State));
        Assert.Equal(t0.AddSeconds(1.9), lb2[1].From);
    }
}
