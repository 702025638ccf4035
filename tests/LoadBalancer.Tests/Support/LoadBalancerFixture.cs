using Foobar.TestSupport;

namespace Foobar.LoadBalancer.Tests.Support;

/// <summary>One load balancer in front of two in-process backends, shared by a test class, with tight limits to test.</summary>
public sealed class LoadBalancerFixture : IAsyncLifetime
{
    public const int MaxHeaderBytes = 8 * 1024;
    public const int MaxBodyBytes = 4 * 1024;

    /// <summary>Neither Kestrel's default (512) nor ours (4096), and under Linux's cap (somaxconn, 4096).</summary>
    public const int AcceptBacklog = 1234;

    internal NamedUpstream First { get; private set; } = null!;

    internal NamedUpstream Second { get; private set; } = null!;

    internal LoadBalancerProcess Balancer { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        First = await NamedUpstream.StartAsync("backend-1");
        Second = await NamedUpstream.StartAsync("backend-2");
        Balancer = await LoadBalancerProcess.StartAsync(
            [First.Url, Second.Url],
            new Dictionary<string, string?>
            {
                ["Limits:MaxRequestHeadersTotalSize"] = MaxHeaderBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Limits:MaxRequestBodySize"] = MaxBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Limits:RequestHeadersTimeout"] = "00:00:02",
                ["Limits:AcceptBacklog"] = AcceptBacklog.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
    }

    public async Task DisposeAsync()
    {
        await Balancer.DisposeAsync();
        await First.DisposeAsync();
        await Second.DisposeAsync();
    }
}
