using System.Collections.Concurrent;

namespace Foobar.LoadBalancer.WebCluster;

/// <summary>Per web server counters, keyed by YARP destination id (the name the admin API uses).</summary>
internal sealed class WebServerStatistics
{
    private readonly ConcurrentDictionary<string, WebServerCounters> _servers = new(StringComparer.Ordinal);
    private long _requests;
    private long _errors;

    /// <summary>Every request the public endpoint answered through the proxy, including 503s with no server.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    public long Errors => Interlocked.Read(ref _errors);

    public WebServerCounters For(string destinationId) => _servers.GetOrAdd(destinationId, static _ => new WebServerCounters());

    public void RecordTotal(bool error)
    {
        Interlocked.Increment(ref _requests);
        if (error)
        {
            Interlocked.Increment(ref _errors);
        }
    }
}
