using Foobar.LoadBalancer.Election;
using Foobar.LoadBalancer.Election.Listen;
using Foobar.ServiceDefaults;
using Microsoft.AspNetCore.HttpsPolicy;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Serilog;
using Serilog.Extensions.Logging;

namespace Foobar.LoadBalancer.Listeners;

internal static class ListenerRegistration
{
    /// <summary>
    /// The admin listener in code (so configuration reloads never touch it, and a follower answers on it) and the
    /// public listeners owned by the leader election (docs/election.md): it writes them as
    /// <c>Kestrel:Endpoints:Public</c>/<c>PublicHttps</c> configuration while this node leads, which Kestrel binds and,
    /// with reloadOnChange, unbinds when they go. With <c>Election:Enabled=false</c> (a single load balancer) the node
    /// owns them from start to stop. The admin port is this tier's <see cref="ManagementPort"/>.
    /// </summary>
    public static WebApplicationBuilder AddLoadBalancerListeners(this WebApplicationBuilder builder)
    {
        builder.AddValidatedOptions<PublicOptions>(PublicOptions.Section);
        builder.AddValidatedOptions<AdminOptions>(AdminOptions.Section);
        builder.AddValidatedOptions<TlsOptions>(TlsOptions.Section);

        builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<AdminOptions>>((kestrel, admin) =>
        {
            var address = ListenAddress.TryParse(admin.Value.Url)!;
            if (address.Address is { } ip)
            {
                kestrel.Listen(ip, address.Port);
            }
            else
            {
                kestrel.ListenLocalhost(address.Port);
            }
        });
        builder.Services.Replace(ServiceDescriptor.Singleton(services => new ManagementPort(services.GetRequiredService<IOptions<AdminOptions>>().Value.Port)));

        builder.AddLeaderElection(PublicEndpoints(builder.Configuration));

        builder.Services.AddOptions<HstsOptions>().Configure<IOptions<PublicOptions>>((o, options) =>
        {
            o.MaxAge = options.Value.HstsMaxAge;
            o.IncludeSubDomains = false;
        });
        builder.Services.AddOptions<HttpsRedirectionOptions>().Configure<IOptions<PublicOptions>>((o, options) =>
        {
            o.RedirectStatusCode = StatusCodes.Status308PermanentRedirect;
            o.HttpsPort = options.Value.HttpsRedirectPort ?? (ListenAddress.TryParse(options.Value.HttpsUrl) is { } https ? https.Port : null);
        });
        return builder;
    }

    /// <summary>
    /// The public listeners as the election's listen mode describes them: plain HTTP/1.1, and HTTPS with HTTP/1.1 and
    /// HTTP/2 (negotiated by ALPN) from the configured PEM files or the self-signed certificate. Read from configuration
    /// here, the one place that does, because the election needs them before the host is built; a bad value is named
    /// by the same sections' validation at start.
    /// </summary>
    private static PublicEndpoint[] PublicEndpoints(IConfiguration configuration)
    {
        var options = configuration.GetSection(PublicOptions.Section).Get<PublicOptions>() ?? new PublicOptions();
        var tls = configuration.GetSection(TlsOptions.Section).Get<TlsOptions>() ?? new TlsOptions();
        var endpoints = new List<PublicEndpoint>();
        if (ListenAddress.TryParse(options.HttpUrl) is not null)
        {
            endpoints.Add(PublicEndpoint.Http(options.HttpUrl!) with { Protocols = "Http1" });
        }

        if (ListenAddress.TryParse(options.HttpsUrl) is not null)
        {
            var (certificate, key) = string.IsNullOrEmpty(tls.CertificatePath)
                ? CertificateStore.EnsureSelfSigned(tls.Directory, TimeProvider.System, new SerilogLoggerFactory(Log.Logger).CreateLogger("Foobar.LoadBalancer.Tls"))
                : (tls.CertificatePath, tls.KeyPath!);
            endpoints.Add(PublicEndpoint.Https(options.HttpsUrl!, certificate, key) with { Protocols = "Http1AndHttp2" });
        }

        return [.. endpoints];
    }
}
