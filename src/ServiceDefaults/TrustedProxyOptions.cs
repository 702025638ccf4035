using System.ComponentModel.DataAnnotations;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;

namespace Foobar.ServiceDefaults;

/// <summary>
/// Configuration section <c>ForwardedHeaders</c>: which proxies may set X-Forwarded-For/Proto. Only those are
/// believed; anyone else's headers are ignored, so a client cannot forge its address by sending the header itself.
/// Named apart from ASP.NET's <see cref="ForwardedHeadersOptions"/>, which <see cref="ToAspNetOptions"/> builds.
/// </summary>
public sealed record TrustedProxyOptions : IValidatableObject
{
    public const string Section = "ForwardedHeaders";

    /// <summary>Proxy addresses (IPv4 or IPv6) trusted to forward. Loopback is always trusted.</summary>
    public string[] KnownProxies { get; init; } = [];

    /// <summary>Proxy networks in CIDR form, such as <c>172.18.0.0/16</c> for a compose network.</summary>
    public string[] KnownNetworks { get; init; } = [];

    /// <summary>How many proxies in front of this one may append to X-Forwarded-For.</summary>
    [Range(1, 10)]
    public int ForwardLimit { get; init; } = 2;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var proxy in KnownProxies.Where(p => !IPAddress.TryParse(p, out _)))
        {
            yield return new ValidationResult($"'{proxy}' is not an IP address", [nameof(KnownProxies)]);
        }

        foreach (var network in KnownNetworks.Where(n => !System.Net.IPNetwork.TryParse(n, out _)))
        {
            yield return new ValidationResult($"'{network}' is not a CIDR network", [nameof(KnownNetworks)]);
        }
    }

    public ForwardedHeadersOptions ToAspNetOptions()
    {
        var options = new ForwardedHeadersOptions
        {
            ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto,
            ForwardLimit = ForwardLimit,
        };
        foreach (var proxy in KnownProxies)
        {
            options.KnownProxies.Add(IPAddress.Parse(proxy));
        }

        foreach (var network in KnownNetworks)
        {
            options.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
        }

        return options;
    }
}
