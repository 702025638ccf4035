namespace Foobar.LoadBalancer.WebCluster;

/// <summary>Requests and errors of one web server since this load balancer started, and its recent latencies.</summary>
internal sealed class WebServerCounters
{
    private long _requests;
    private long _errors;

    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Requests that failed at the proxy (no connection, no response) or that the web server answered with 5xx.</summary>
    public long Errors => Interlocked.Read(ref _errors);

    public LatencyWindow Latency { get; } = new();

    public void Record(double milliseconds, bool error)
    {
        Interlocked.Increment(ref _requests);
        if (error)
        {
            Interlocked.Increment(ref _errors);
        }

        Latency.Add(milliseconds);
    }
}
