using Foobar.LoadBalancer.Listeners;

namespace Foobar.LoadBalancer.Hosting;

/// <summary>
/// <c>LoadBalancer healthcheck [url]</c>: without a URL, probes /health/ready on the admin listener, which every load
/// balancer keeps open (a backup in listen mode has no public listener, yet is healthy).
/// </summary>
internal static class LoadBalancerHealthcheck
{
    public static string[] Arguments(string[] args)
    {
        if (args.Length > 1)
        {
            return args;
        }

        var configuration = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .Build();
        var url = configuration[$"{AdminOptions.Section}:{nameof(AdminOptions.Url)}"] is { Length: > 0 } configured ? configured : new AdminOptions().Url;
        var address = ListenAddress.TryParse(url) ?? new ListenAddress("127.0.0.1", 9101);
        var host = address.IsLocalhost || address.Address is { } ip && !ip.Equals(System.Net.IPAddress.Any) && !ip.Equals(System.Net.IPAddress.IPv6Any) ? address.Host : "127.0.0.1";
        return ["healthcheck", $"http://{host}:{address.Port}/health/ready"];
    }
}
