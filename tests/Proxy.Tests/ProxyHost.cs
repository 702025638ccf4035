using System.Diagnostics.Metrics;
using Foobar.Proxy;
using Foobar.ServiceDefaults;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Yarp.ReverseProxy.Configuration;

namespace Foobar.Proxy.Tests;

/// <summary>The shared proxy in a real Kestrel host on port 0, configured the way a tier configures it.</summary>
internal sealed class ProxyHost : IAsyncDisposable
{
    public const string Node = "web-t";
    private readonly WebApplication _app;
    private readonly MeterListener _listener = new();
    private long _retries;
    private long _unavailable;

    private ProxyHost(WebApplication app, string clusterId)
    {
        _app = app;
        ClusterId = clusterId;
        Client = new HttpClient { BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single()), Timeout = TimeSpan.FromSeconds(15) };
        // Meters are process-wide: count only this host's cluster, tests run in parallel.
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "Foobar.Proxy")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag is { Key: "cluster" } && (string?)tag.Value == ClusterId)
                {
                    if (instrument.Name == "foobar.proxy.retries")
                    {
                        Interlocked.Add(ref _retries, value);
                    }
                    else if (instrument.Name == "foobar.proxy.unavailable")
                    {
                        Interlocked.Add(ref _unavailable, value);
                    }
                }
            }
        });
        _listener.Start();
    }

    public string ClusterId { get; }

    public HttpClient Client { get; }

    public ProxyCluster Cluster => _app.Services.GetRequiredService<ProxyCluster>();

    public long Retries => Interlocked.Read(ref _retries);

    public long Unavailable => Interlocked.Read(ref _unavailable);

    /// <summary>Starts a proxy for <paramref name="destinations"/>; health checks are off unless <paramref name="settings"/> turn them on.</summary>
    public static async Task<ProxyHost> StartAsync(
        string[] destinations, IDictionary<string, string?>? settings = null, Func<HttpRequest, bool>? retryWhen = null)
    {
        var clusterId = $"c{Guid.NewGuid():N}"[..12];
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var config = new Dictionary<string, string?>
        {
            ["Node:Name"] = Node,
            ["Upstream:HealthCheck:Enabled"] = "false",
            ["Upstream:HealthCheck:Passive"] = "false",
        };
        for (var i = 0; i < destinations.Length; i++)
        {
            config[$"Upstream:Destinations:{i}"] = destinations[i];
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            config[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(config);
        builder.AddValidatedOptions<NodeOptions>(NodeOptions.Section);
        builder.AddProxyCluster(new ProxyDefinition
        {
            ClusterId = clusterId,
            Section = "Upstream",
            Match = new RouteMatch { Path = "/{**rest}" },
            RetryWhen = retryWhen ?? RetryPredicates.SafeMethods,
        });
        var app = builder.Build();
        app.MapProxyCluster();
        await app.StartAsync();
        return new ProxyHost(app, clusterId);
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Dispose();
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
