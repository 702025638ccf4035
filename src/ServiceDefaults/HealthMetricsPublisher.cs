using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Foobar.ServiceDefaults;

/// <summary>
/// Exports the readiness checks as a gauge (meter <c>Foobar.Health</c>, on /metrics as
/// <c>foobar_health_foobar_health_status{check=...}</c>: 1 healthy, 0.5 degraded, 0 unhealthy; <c>check="ready"</c> is
/// all of them together, what /health/ready answers). A probe's answer is gone once given; this is what lets Prometheus
/// alert on "the database is down" from the app servers' own checks (deploy/prometheus/alerts.yml).
/// The health-check publisher runs every check on its own period (see <see cref="Period"/>).
/// </summary>
internal sealed class HealthMetricsPublisher : IHealthCheckPublisher
{
    public const string MeterName = "Foobar.Health";

    /// <summary>How often the checks run for this gauge; an alert's <c>for:</c> should span several periods.</summary>
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<string, double> _status = new(StringComparer.Ordinal);

    public HealthMetricsPublisher(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        meter.CreateObservableGauge(
            "foobar.health.status",
            () => _status.Select(s => new Measurement<double>(s.Value, new KeyValuePair<string, object?>("check", s.Key))),
            description: "Last result of each health check: 1 healthy, 0.5 degraded, 0 unhealthy; check=\"ready\" is all of them.");
    }

    public Task PublishAsync(HealthReport report, CancellationToken cancellationToken)
    {
        _status["ready"] = Value(report.Status);
        foreach (var (name, entry) in report.Entries)
        {
            _status[name] = Value(entry.Status);
        }

        return Task.CompletedTask;
    }

    private static double Value(HealthStatus status) => status switch
    {
        HealthStatus.Healthy => 1,
        HealthStatus.Degraded => 0.5,
        _ => 0,
    };
}
