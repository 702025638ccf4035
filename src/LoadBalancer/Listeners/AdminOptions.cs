using System.ComponentModel.DataAnnotations;

namespace Foobar.LoadBalancer.Listeners;

/// <summary>Configuration section <c>Admin</c>: the separate listener for /status, the dashboard, /metrics and actions.</summary>
internal sealed record AdminOptions : IValidatableObject
{
    public const string Section = "Admin";

    /// <summary>Contract: 9101 for lb-1 and 9102 for lb-2 locally. Bind to loopback unless something in front protects it.</summary>
    [Required]
    public string Url { get; init; } = "http://127.0.0.1:9101";

    /// <summary>
    /// Bearer token for POST actions (drain, ready). Without one every action is refused with 401: an admin port
    /// published by mistake then still cannot take servers out.
    /// </summary>
    [MinLength(16)]
    public string? Token { get; init; }

    public int Port => ListenAddress.TryParse(Url)?.Port ?? 0;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (ListenAddress.TryParse(Url) is null)
        {
            yield return new ValidationResult($"'{Url}' {ListenAddress.Requirement}", [nameof(Url)]);
        }
    }
}
