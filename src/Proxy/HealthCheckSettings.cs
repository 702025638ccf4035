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

    /// <summary>Take a destination out as soon as a forwarded request fails to reach it.</summary>
    public bool Passive { get; init; } = true;

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
