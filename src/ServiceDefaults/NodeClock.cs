namespace Foobar.ServiceDefaults;

/// <summary>
/// When this process started, by <see cref="TimeProvider"/>: the <c>startedAt</c> and <c>uptimeSeconds</c> that the
/// load balancer's /status and the web server's /internal/status both show. Created as the app starts
/// (<see cref="ServiceDefaultsExtensions.UseServiceDefaults"/>), not at the first request.
/// </summary>
public sealed class NodeClock(TimeProvider time)
{
    public DateTimeOffset StartedAt { get; } = time.GetUtcNow();

    /// <summary>Seconds since <see cref="StartedAt"/>, to a tenth.</summary>
    public double UptimeSeconds => Math.Round((time.GetUtcNow() - StartedAt).TotalSeconds, 1);
}
