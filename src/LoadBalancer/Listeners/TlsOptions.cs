using System.ComponentModel.DataAnnotations;

namespace Foobar.LoadBalancer.Listeners;

/// <summary>
/// Configuration section <c>Tls</c>: the public HTTPS certificate. Either a PEM certificate and key, or neither, in which
/// case a self-signed certificate for www.foobar.com and localhost is made on first start under <see cref="Directory"/>
/// and reused after.
/// </summary>
internal sealed record TlsOptions : IValidatableObject
{
    public const string Section = "Tls";

    /// <summary>PEM certificate (chain) file.</summary>
    public string? CertificatePath { get; init; }

    /// <summary>PEM private key file (PKCS#8 or the algorithm's own format, unencrypted).</summary>
    public string? KeyPath { get; init; }

    /// <summary>Where the self-signed certificate is kept; relative paths are from the working directory.</summary>
    [Required]
    public string Directory { get; init; } = Path.Combine(".foobar", "tls");

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrEmpty(CertificatePath) != string.IsNullOrEmpty(KeyPath))
        {
            yield return new ValidationResult("CertificatePath and KeyPath go together: set both or neither", [string.IsNullOrEmpty(KeyPath) ? nameof(KeyPath) : nameof(CertificatePath)]);
        }

        foreach (var (path, name) in new[] { (CertificatePath, nameof(CertificatePath)), (KeyPath, nameof(KeyPath)) })
        {
            if (!string.IsNullOrEmpty(path) && !File.Exists(path))
            {
                yield return new ValidationResult($"file '{path}' does not exist", [name]);
            }
        }
    }
}
