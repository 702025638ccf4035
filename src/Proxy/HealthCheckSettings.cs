using System.ComponentModel.DataAnnotations;

namespace Foobar.Proxy;

/// <summary>Active probes with HAProxy-style rise/fall, plus passive marking of an upstream that fails a real request.</summary>
public sealed record HealthCheckSettings : IValidatableObject
{
    /// <summary>Probe every destination every <see cref="Interval"/>.</summary>
    public bool Enabled { get; init; } = true;

    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(2);

    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Consecutive successful probes that bring a down destination back.</summary>
    [Range(1, 100)]
    public int Rise { get; init; } = 2;

    /// <summary>Consecutive failed probes that take an up destination out.</summary>
    [Range(1, 100)]
    public int Fall { get; init; } = 3;

    [Required]
    [RegularExpression("^/.*", ErrorMessage = "must start with '/'")]
    public string Path { get; init; } = "/health/ready";

    /// <summary>
    /// Passive checks: take a destination out when forwarded requests fail to reach it, <see cref="PassiveErrorLimit"/>
    /// times in a row within <see cref="PassiveErrorWindow"/> (HAProxy's <c>observe layer4 error-limit</c>). Only the
    /// destination's own failures count, never a client's bad or abandoned request.
    /// </summary>
    public bool Passive { get; init; } = true;

    /// <summary>
    /// Failures in a row that take a destination out. HAProxy's default is 10; 3 is enough to tell a dead server
    /// from one unlucky connection, and each of those requests is retried elsewhere when safe.
    /// </summary>
    [Range(1, 1000)]
    public int PassiveErrorLimit { get; init; } = 3;

    /// <summary>Failures older than this are forgotten, so a rare reset a day never adds up to an ejection.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan PassiveErrorWindow { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// At most this share of the destinations may be out by passive checks at once, and always at least one
    /// (Envoy's <c>max_ejection_percent</c>). Whatever goes wrong with passive judgement, it cannot empty the cluster;
    /// the active probes can still take out a destination that really is down.
    /// </summary>
    [Range(1, 100)]
    public int PassiveMaxEjectedPercent { get; init; } = 50;

    /// <summary>How long a passively failed destination stays out before it may be tried again (the active probes still decide).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan PassiveReactivation { get; init; } = TimeSpan.FromSeconds(10);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Timeout >= Interval)
        {
            yield return new ValidationResult("must be shorter than HealthCheck:Interval, or probes overlap", [nameof(Timeout)]);
        }
    }
}
