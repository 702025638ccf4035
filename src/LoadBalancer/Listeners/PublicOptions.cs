using System.ComponentModel.DataAnnotations;

namespace Foobar.LoadBalancer.Listeners;

/// <summary>
/// Configuration section <c>Public</c>: the endpoint clients reach. Its listeners are written as
/// <c>Kestrel:Endpoints:Public</c> and <c>Kestrel:Endpoints:PublicHttps</c> so that the election's listen mode can open
/// and close them without touching the admin listener.
/// </summary>
internal sealed record PublicOptions : IValidatableObject
{
    public const string Section = "Public";

    /// <summary>Plain HTTP listener (contract: <c>http://127.0.0.1:8080</c> locally); empty for none.</summary>
    public string? HttpUrl { get; init; } = "http://127.0.0.1:8080";

    /// <summary>HTTPS listener with HTTP/1.1 and HTTP/2 (contract: <c>https://127.0.0.1:8443</c>); empty for none.</summary>
    public string? HttpsUrl { get; init; } = "https://127.0.0.1:8443";

    /// <summary>Answer plain HTTP with 308 to HTTPS. Off locally, where the browser is told to trust nothing.</summary>
    public bool HttpsRedirect { get; init; }

    /// <summary>Port clients use for HTTPS when it differs from the listener's (compose publishes 443 for 8443).</summary>
    [Range(1, 65535)]
    public int? HttpsRedirectPort { get; init; }

    /// <summary>Send Strict-Transport-Security on HTTPS responses (never for localhost, per ASP.NET's HSTS middleware).</summary>
    public bool Hsts { get; init; }

    [Range(typeof(TimeSpan), "00:00:01", "730.00:00:00")]
    public TimeSpan HstsMaxAge { get; init; } = TimeSpan.FromDays(365);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (url, key) in new[] { (HttpUrl, nameof(HttpUrl)), (HttpsUrl, nameof(HttpsUrl)) })
        {
            if (!string.IsNullOrEmpty(url) && ListenAddress.TryParse(url) is null)
            {
                yield return new ValidationResult($"'{url}' {ListenAddress.Requirement}", [key]);
            }
        }

        if (string.IsNullOrEmpty(HttpUrl) && string.IsNullOrEmpty(HttpsUrl))
        {
            yield return new ValidationResult("set HttpUrl, HttpsUrl or both: a load balancer with no public listener serves nobody", [nameof(HttpUrl)]);
        }

        if (HttpsRedirect && string.IsNullOrEmpty(HttpsUrl))
        {
            yield return new ValidationResult("HttpsRedirect needs HttpsUrl", [nameof(HttpsRedirect)]);
        }
    }
}
