using System.ComponentModel.DataAnnotations;

namespace Foobar.LoadBalancer.Limits;

/// <summary>
/// Configuration section <c>RateLimit</c>: an optional per-client-IP fixed window (HAProxy's stick-table
/// <c>http_req_rate</c> pattern). Over the limit a client gets 429 with Retry-After until its window ends.
/// </summary>
internal sealed record RateLimitOptions
{
    public const string Section = "RateLimit";

    public bool Enabled { get; init; }

    /// <summary>Requests one client IP may make per <see cref="Window"/>.</summary>
    [Range(1, 1_000_000)]
    public int PermitLimit { get; init; } = 100;

    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan Window { get; init; } = TimeSpan.FromSeconds(1);
}
