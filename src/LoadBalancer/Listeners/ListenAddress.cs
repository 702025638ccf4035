using System.Net;
using Foobar.ServiceDefaults;

namespace Foobar.LoadBalancer.Listeners;

/// <summary>An http(s) URL as Kestrel's <c>Listen</c> needs it: an IP address (or localhost) and a port.</summary>
internal sealed record ListenAddress(string Host, int Port)
{
    public const string Requirement = "must be an http(s) URL with an IP address or localhost and a port, such as http://127.0.0.1:9101";

    public bool IsLocalhost => Host.Equals("localhost", StringComparison.OrdinalIgnoreCase);

    /// <summary>The address to bind; null for localhost, which Kestrel binds on both loopbacks.</summary>
    public IPAddress? Address => IsLocalhost ? null : IPAddress.Parse(Host.Trim('[', ']'));

    /// <summary>Null for an empty or unusable URL; the options validators report those with the key's name.</summary>
    public static ListenAddress? TryParse(string? url)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            return null;
        }

        if (!KestrelUrl.TryParse(url, out var uri) || uri.Scheme is not ("http" or "https") || uri.IsDefaultPort && !KestrelUrl.HasExplicitPort(url))
        {
            return null;
        }

        var address = new ListenAddress(uri.Host, uri.Port);
        return address.IsLocalhost || IPAddress.TryParse(uri.Host.Trim('[', ']'), out _) ? address : null;
    }
}
