using System.Diagnostics.Metrics;
using Yarp.ReverseProxy.Model;

namespace Foobar.Proxy;

/// <summary>Our own proxy instruments, on the <c>Foobar.Proxy</c> meter that /metrics exports.</summary>
internal sealed class ProxyMetrics
{
    public const string MeterName = "Foobar.Proxy";

    private readonly Counter<long> _retries;
    private readonly Counter<long> _healthTransitions;
    private readonly Counter<long> _unavailable;
    private readonly Counter<long> _ejectionsCapped;

    public ProxyMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _retries = meter.CreateCounter<long>("foobar.proxy.retries", "{request}", "Requests re-sent to another destination after the first failed before answering");
        _healthTransitions = meter.CreateCounter<long>("foobar.proxy.health.transitions", "{transition}", "Destination health changes decided by the active or passive checks");
        _unavailable = meter.CreateCounter<long>("foobar.proxy.unavailable", "{request}", "Requests answered 503 because no destination was available or reachable");
        _ejectionsCapped = meter.CreateCounter<long>("foobar.proxy.passive.ejections_capped", "{ejection}", "Passive ejections refused because the cluster's share of passively ejected destinations was reached");
    }

    public void Retried(string cluster, string reason) =>
        _retries.Add(1, new KeyValuePair<string, object?>("cluster", cluster), new KeyValuePair<string, object?>("reason", reason));

    public void HealthChanged(string cluster, string destination, string check, DestinationHealth health) =>
        _healthTransitions.Add(
            1,
            new KeyValuePair<string, object?>("cluster", cluster),
            new KeyValuePair<string, object?>("destination", destination),
            new KeyValuePair<string, object?>("check", check),
            new KeyValuePair<string, object?>("to", health.ToString().ToLowerInvariant()));

    public void PassiveEjectionCapped(string cluster) =>
        _ejectionsCapped.Add(1, new KeyValuePair<string, object?>("cluster", cluster));

    public void Unavailable(string cluster) =>
        _unavailable.Add(1, new KeyValuePair<string, object?>("cluster", cluster));
}
