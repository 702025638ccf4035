using System.ComponentModel.DataAnnotations;
using Yarp.ReverseProxy.LoadBalancing;

namespace Foobar.Proxy;

/// <summary>
/// One upstream cluster, bound from a configuration section (<c>AppServers</c> in the web tier,
/// <c>WebServers</c> in the load balancer). Defaults follow HAProxy's <c>inter 2s rise 2 fall 3</c>.
/// </summary>
public sealed record ProxyClusterOptions : IValidatableObject
{
    private static readonly string[] KnownLoadBalancing =
    [
        LoadBalancingPolicies.RoundRobin,
        LoadBalancingPolicies.PowerOfTwoChoices,
        LoadBalancingPolicies.LeastRequests,
        LoadBalancingPolicies.Random,
        LoadBalancingPolicies.FirstAlphabetical,
    ];

    /// <summary>Upstream base URLs such as <c>http://127.0.0.1:5101</c> or, with <see cref="ResolveDns"/>, <c>http://app:8080</c>.</summary>
    public string[] Destinations { get; init; } = [];

    /// <summary>Re-resolve host names every <see cref="DnsRefreshPeriod"/>, one destination per address (compose <c>--scale</c>).</summary>
    public bool ResolveDns { get; init; }

    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan DnsRefreshPeriod { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>A YARP load-balancing policy name; round robin makes the spread visible in a demo.</summary>
    public string LoadBalancing { get; init; } = LoadBalancingPolicies.RoundRobin;

    /// <summary>Give up connecting to an upstream after this long (the kernel's default is minutes when a host vanishes).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Fail a forwarded request when the upstream is silent for this long (YARP's activity timeout).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Largest request body forwarded, in bytes; larger is a 413 from this hop, and bodies are read in full before
    /// forwarding (see ClientBodyMiddleware). Unset: bodies stream through, bounded only by Kestrel's own limit.
    /// The web tier sets it to the app's 64 KiB, the first hop that knows that limit.
    /// </summary>
    [Range(1L, 1024L * 1024 * 1024)]
    public long? MaxRequestBodyBytes { get; init; }

    public HealthCheckSettings HealthCheck { get; init; } = new();

    public RetrySettings Retry { get; init; } = new();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Destinations.Length == 0)
        {
            yield return new ValidationResult("at least one destination URL is required", [nameof(Destinations)]);
        }

        for (var i = 0; i < Destinations.Length; i++)
        {
            if (!Uri.TryCreate(Destinations[i], UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.PathAndQuery != "/")
            {
                yield return new ValidationResult($"'{Destinations[i]}' must be an absolute http(s) URL without a path, such as http://127.0.0.1:5101", [$"{nameof(Destinations)}:{i}"]);
            }
        }

        if (!KnownLoadBalancing.Contains(LoadBalancing, StringComparer.Ordinal))
        {
            yield return new ValidationResult($"must be one of {string.Join(", ", KnownLoadBalancing)}", [nameof(LoadBalancing)]);
        }
    }
}
