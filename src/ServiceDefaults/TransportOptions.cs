namespace Foobar.ServiceDefaults;

/// <summary>Configuration section <c>Transport</c>: how Kestrel's socket transport schedules the work of a connection.</summary>
public sealed record TransportOptions
{
    public const string Section = "Transport";

    /// <summary>
    /// True runs each request's processing on the thread its socket's data arrived on (Kestrel's
    /// <c>UnsafePreferInlineScheduling</c>), instead of handing it to the thread pool and each response to an I/O queue.
    /// Only for a pipeline that never blocks a thread: a blocked one stalls every connection of that socket thread. The
    /// web tier's default is true: behind the load balancer, where its requests arrive one at a time rather than in
    /// batches, it halved the web server's CPU per request (bench/README.md, stop 17); the load balancer measured no gain.
    /// </summary>
    public bool InlineScheduling { get; init; }
}
