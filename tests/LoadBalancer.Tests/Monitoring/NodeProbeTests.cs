using System.Text;
using Foobar.LoadBalancer.Monitoring;
using Foobar.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Foobar.LoadBalancer.Tests.Monitoring;

/// <summary>
/// The dashboard's probe against a real Kestrel node: /metrics read as a stream, line by line (an app server's is over
/// 100 KB), and bounded in time to the end of the body, not only to its headers.
/// </summary>
public sealed class NodeProbeTests : IAsyncLifetime
{
    // 4,000 samples of ~80 bytes: about 320 KB, more than any node of the stack writes.
    private const int Samples = 4000;
    private MetricsNode? _node;
    private string _url = "";

    public async Task InitializeAsync()
    {
        _node = await MetricsNode.StartAsync();
        _url = _node.Url;
    }

    public async Task DisposeAsync()
    {
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }
    }

    [Fact]
    public async Task ReadAsync_LargeMetrics_EverySampleParsed()
    {
        var probe = new NodeProbe(new HttpClient { Timeout = TimeSpan.FromSeconds(10) }, TimeProvider.System);

        var reading = await probe.ReadAsync(new MonitoredNode { Name = "app-1", Role = "app", ManagementUrl = _url + "/big" }, CancellationToken.None);

        Assert.Null(reading.Error);
        Assert.True(reading.Ready);
        Assert.Equal(Samples * (Samples - 1) / 2.0, reading.Metrics!.Sum("foobar_sample"));
        Assert.Equal(7, reading.Metrics.Sum("foobar_sample", "i=\"7\""));
        Assert.Equal(Samples, reading.Metrics.ByLabel("foobar_sample", "i").Count());
    }

    [Fact]
    public async Task ReadAsync_BodyStallsAfterHeaders_TimesOutInsteadOfHanging()
    {
        var probe = new NodeProbe(new HttpClient { Timeout = TimeSpan.FromMilliseconds(500) }, TimeProvider.System);

        var reading = await probe.ReadAsync(new MonitoredNode { Name = "web-1", Role = "app", ManagementUrl = _url + "/stalled" }, CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal("timed out", reading.Error);
        Assert.False(reading.Reachable);
    }

    [Fact]
    public async Task PrometheusText_FromStream_SameAsFromString()
    {
        const string text = "# HELP a x\r\na_total{k=\"1\"} 2\r\na_total{k=\"2\"} 3.5\r\n\r\nb 7\n h_bucket{le=\"0.1\"} 4\n";

        var streamed = await PrometheusText.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(text)), CancellationToken.None);
        var whole = new PrometheusText(text);

        foreach (var parsed in new[] { streamed, whole })
        {
            Assert.Equal(5.5, parsed.Sum("a_total"));
            Assert.Equal(3.5, parsed.Sum("a_total", "k=\"2\""));
            Assert.Equal(7, parsed.Sum("b"));
            Assert.Equal(4, parsed.Buckets("h")[0.1]);
        }
    }

    /// <summary>A node's management listener: <c>/big/</c> answers in full, <c>/stalled/</c> freezes in the middle of /metrics.</summary>
    private sealed class MetricsNode() : KestrelUpstream("node")
    {
        // The stalled answer is cut, not waited for, when the test ends.
        protected override bool StopAbruptly => true;

        public static async Task<MetricsNode> StartAsync()
        {
            var app = CreateBuilder().Build();
            app.MapGet("/big/metrics", () => Results.Text(BigMetrics(), "text/plain; version=0.0.4"));
            app.MapGet("/big/health/ready", () => Results.Ok());
            app.MapGet("/stalled/metrics", async (HttpContext context) =>
            {
                // Headers and the first lines, then nothing: a node frozen (SIGSTOP) in the middle of its answer.
                await context.Response.WriteAsync("# TYPE up gauge\nup 1\n", context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            });
            app.MapGet("/stalled/health/ready", () => Results.Ok());
            var node = new MetricsNode();
            await node.StartAsync(app);
            return node;
        }
    }

    private static string BigMetrics()
    {
        var text = new StringBuilder("# TYPE foobar_sample gauge\n");
        for (var i = 0; i < Samples; i++)
        {
            text.Append("foobar_sample{i=\"").Append(i).Append("\",pad=\"").Append('x', 40).Append("\"} ").Append(i).Append('\n');
        }

        return text.ToString();
    }
}
