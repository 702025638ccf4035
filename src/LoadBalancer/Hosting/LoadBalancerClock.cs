namespace Foobar.LoadBalancer.Hosting;

/// <summary>When this process started, by <see cref="TimeProvider"/>, for the uptime on /status.</summary>
internal sealed class LoadBalancerClock(TimeProvider time)
{
    public DateTimeOffset StartedAt { get; } = time.GetUtcNow();

    public TimeSpan Uptime => time.GetUtcNow() - StartedAt;
}
