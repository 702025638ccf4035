using System.ComponentModel.DataAnnotations;

namespace Foobar.LoadBalancer.Limits;

/// <summary>
/// Configuration section <c>Limits</c>, applied by Kestrel to every connection. Defaults follow HAProxy's usual
/// production settings where Kestrel's are looser (a 10 s <c>timeout http-request</c> against Kestrel's 30 s).
/// </summary>
internal sealed record LimitsOptions
{
    public const string Section = "Limits";

    /// <summary>All request headers together; beyond it Kestrel answers 431.</summary>
    [Range(1024, 1024 * 1024)]
    public int MaxRequestHeadersTotalSize { get; init; } = 32 * 1024;

    [Range(1, 1000)]
    public int MaxRequestHeaderCount { get; init; } = 100;

    /// <summary>Request line (method, target, version); beyond it 414.</summary>
    [Range(256, 1024 * 1024)]
    public int MaxRequestLineSize { get; init; } = 8 * 1024;

    /// <summary>Request body; a larger declared or streamed body gets 413.</summary>
    [Range(0, long.MaxValue)]
    public long MaxRequestBodySize { get; init; } = 10 * 1024 * 1024;

    /// <summary>Time to receive all request headers (HAProxy's <c>timeout http-request</c>): slowloris clients are cut here.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan RequestHeadersTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Idle keep-alive connections are closed after this (HAProxy's <c>timeout http-keep-alive</c> is often far shorter).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>A request body slower than this many bytes/s after <see cref="MinDataRateGracePeriod"/> is aborted (408).</summary>
    [Range(0, 1024 * 1024)]
    public double MinRequestBodyDataRate { get; init; } = 240;

    /// <summary>A client reading the response slower than this many bytes/s is disconnected.</summary>
    [Range(0, 1024 * 1024)]
    public double MinResponseDataRate { get; init; } = 240;

    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan MinDataRateGracePeriod { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Open client connections at once (HAProxy's <c>maxconn</c>); further ones are closed at accept. 0 for no limit.
    /// Room for one client's 10 000 idle connections (issue 10's test) with everyone else still let in: an idle
    /// connection costs a file descriptor and a few KB until Kestrel's header or keep-alive timeout closes it.
    /// The process's open-file limit must allow it (.NET raises its soft limit to the hard one at start).
    /// </summary>
    [Range(0, 1_000_000)]
    public long MaxConcurrentConnections { get; init; } = 15_000;

    /// <summary>
    /// Connections the kernel completes and queues before Kestrel accepts them (HAProxy's and nginx's <c>backlog</c>);
    /// Linux caps it at <c>net.core.somaxconn</c> (4096 since kernel 5.4). Kestrel's default of 512 overflowed when one
    /// client opened 10 000 connections at once: the kernel dropped 3 489 of their SYNs, and any other client
    /// connecting then waited out a 1 s SYN retransmit.
    /// </summary>
    [Range(1, 65_535)]
    public int AcceptBacklog { get; init; } = 4096;
}
