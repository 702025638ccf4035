using Foobar.ServiceDefaults;

namespace Foobar.LoadBalancer.Election.Listen;

/// <summary>
/// One public listener the leader owns in <c>listen</c> mode, written as Kestrel configuration under
/// <c>Kestrel:Endpoints:{Name}</c> (Url, Protocols, Certificate:Path/KeyPath/Password). With no certificate given,
/// an HTTPS endpoint uses Kestrel's default certificate, e.g. one set in code with
/// <c>ConfigureHttpsDefaults(h =&gt; h.ServerCertificate = ...)</c>.
/// </summary>
internal sealed record PublicEndpoint
{
    public required string Name { get; init; }

    /// <summary>An absolute http:// or https:// URL with an explicit port, e.g. <c>http://127.0.0.1:8080</c>.</summary>
    public required string Url { get; init; }

    /// <summary>Kestrel's Protocols value (<c>Http1AndHttp2</c>, ...); null keeps Kestrel's default.</summary>
    public string? Protocols { get; init; }

    public string? CertificatePath { get; init; }

    public string? CertificateKeyPath { get; init; }

    public string? CertificatePassword { get; init; }

    public static PublicEndpoint Http(string url) => new() { Name = "Public", Url = url };

    public static PublicEndpoint Https(string url, string? certificatePath = null, string? certificateKeyPath = null, string? certificatePassword = null) => new()
    {
        Name = "PublicHttps",
        Url = url,
        CertificatePath = certificatePath,
        CertificateKeyPath = certificateKeyPath,
        CertificatePassword = certificatePassword,
    };

    /// <summary>The TCP port Kestrel will bind, from <see cref="Url"/>.</summary>
    public int Port => KestrelUrl.TryParse(Url, out var uri) ? uri.Port : throw new UriFormatException($"not a listen URL: {Url}");

    public IEnumerable<KeyValuePair<string, string?>> ToKestrelSettings()
    {
        var prefix = $"Kestrel:Endpoints:{Name}:";
        yield return new(prefix + "Url", Url);
        if (Protocols is not null)
        {
            yield return new(prefix + "Protocols", Protocols);
        }

        if (CertificatePath is not null)
        {
            yield return new(prefix + "Certificate:Path", CertificatePath);
        }

        if (CertificateKeyPath is not null)
        {
            yield return new(prefix + "Certificate:KeyPath", CertificateKeyPath);
        }

        if (CertificatePassword is not null)
        {
            yield return new(prefix + "Certificate:Password", CertificatePassword);
        }
    }
}
