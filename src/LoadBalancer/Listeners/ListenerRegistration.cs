using Foobar.LoadBalancer.Election;
using Foobar.LoadBalancer.Election.Listen;
using Foobar.ServiceDefaults;
using Microsoft.AspNetCore.HttpsPolicy;
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
    /// owns them from start to stop.
    /// </summary>
    public static WebApplicationBuilder AddLoadBalancerListeners(this WebApplicationBuilder builder)
    {
        builder.AddValidatedOptions<PublicOptions>(PublicOptions.Section);
        builder.AddValidatedOptions<AdminOptions>(AdminOptions.Section);
        builder.AddValidatedOptions<TlsOptions>(TlsOptions.Section);

        var admin = builder.Configuration.GetSection(AdminOptions.Section).Get<AdminOptions>() ?? new AdminOptions();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            if (ListenAddress.TryParse(admin.Url) is not { } address)
            {
                return; // ValidateOnStart names the bad key.
            }

            if (address.Address is { } ip)
            {
                kestrel.Listen(ip, address.Port);
            }
            else
            {
                kestrel.ListenLocalhost(address.Port);
            }
        });

        builder.AddLeaderElection(PublicEndpoints(builder));

        var options = builder.Configuration.GetSection(PublicOptions.Section).Get<PublicOptions>() ?? new PublicOptions();
        builder.Services.AddHsts(o =>
        {
            o.MaxAge = options.HstsMaxAge;
            o.IncludeSubDomains = false;
        });
        builder.Services.Configure<HttpsRedirectionOptions>(o =>
        {
            o.RedirectStatusCode = StatusCodes.Status308PermanentRedirect;
            o.HttpsPort = options.HttpsRedirectPort ?? (ListenAddress.TryParse(options.HttpsUrl) is { } https ? https.Port : null);
        });
        return builder;
    }

    /// <summary>
    /// The public listeners as the election's listen mode describes them: plain HTTP/1.1, and HTTPS with HTTP/1.1 and
    /// HTTP/2 (negotiated by ALPN) from the configured PEM files or the self-signed certificate.
    /// </summary>
    public static PublicEndpoint[] PublicEndpoints(WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(PublicOptions.Section).Get<PublicOptions>() ?? new PublicOptions();
        var tls = builder.Configuration.GetSection(TlsOptions.Section).Get<TlsOptions>() ?? new TlsOptions();
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
