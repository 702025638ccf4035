namespace Foobar.ServiceDefaults;

/// <summary>
/// Reads listen URLs as Kestrel writes them: "*" and "+" are its spellings of "any address", which
/// <see cref="Uri"/> does not accept as hosts, so they are read as 0.0.0.0.
/// </summary>
public static class KestrelUrl
{
    public static bool TryParse(string? url, out Uri uri)
    {
        uri = null!;
        return !string.IsNullOrWhiteSpace(url) && Uri.TryCreate(Normalize(url), UriKind.Absolute, out uri!);
    }

    /// <summary>Whether the URL names its port (Uri fills in 80/443 when it does not).</summary>
    public static bool HasExplicitPort(string url) => url.IndexOf(':', url.IndexOf("://", StringComparison.Ordinal) + 3) > 0;

    private static string Normalize(string url) =>
        url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal);
}
