using System.Diagnostics.Metrics;
using Foobar.Proxy;

namespace Foobar.WebServer.AppTier;

/// <summary>
/// The app servers as this web server sees them (meter <c>Foobar.WebServer</c>): on /metrics as
/// <c>foobar_webserver_foobar_web_app_server_available{server=...}</c>, 1 when an app server may take new requests.
/// Read at scrape time from the proxy's own health state, so nothing is recorded per request. The alert "no healthy
/// app server" (deploy/prometheus/alerts.yml) sums it.
/// </summary>
internal sealed class AppTierMetrics
{
    public const string MeterName = "Foobar.WebServer";

    public AppTierMetrics(IMeterFactory meterFactory, ProxyCluster cluster)
    {
        var meter = meterFactory.Create(MeterName);
        meter.CreateObservableGauge(
            "foobar.web.app_server.available",
            () => cluster.Destinations().Select(d => new Measurement<long>(d.Available ? 1 : 0, new KeyValuePair<string, object?>("server", d.Id))),
            "{server}",
            "1 when an app server may take new requests from this web server (healthy or unknown, not drained)");
    }
}
