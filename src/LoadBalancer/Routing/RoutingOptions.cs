using System.ComponentModel.DataAnnotations;

namespace Foobar.LoadBalancer.Routing;

/// <summary>
/// Configuration section <c>Routing</c>: which Host headers reach the web cluster. Loopback addresses are served too,
/// so that the local endpoint http://127.0.0.1:8080 works as printed; any host not listed gets 421.
/// </summary>
internal sealed record RoutingOptions
{
    public const string Section = "Routing";

    /// <summary>Hosts (without port) forwarded to the web cluster, compared case-insensitively.</summary>
    [MinLength(1)]
    public string[] Hosts { get; init; } = ["www.foobar.com", "localhost", "127.0.0.1", "[::1]"];

    /// <summary>The site's canonical host, the target of <see cref="RedirectHosts"/>.</summary>
    [Required]
    public string CanonicalHost { get; init; } = "www.foobar.com";

    /// <summary>Hosts answered with 301 to <see cref="CanonicalHost"/>, keeping scheme, port, path and query.</summary>
    public string[] RedirectHosts { get; init; } = ["foobar.com"];
}
