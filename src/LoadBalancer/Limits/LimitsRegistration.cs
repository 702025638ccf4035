using System.Globalization;
using System.Threading.RateLimiting;
using Foobar.ServiceDefaults;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Options;

namespace Foobar.LoadBalancer.Limits;

internal static class LimitsRegistration
{
    public static WebApplicationBuilder AddLoadBalancerLimits(this WebApplicationBuilder builder)
    {
        builder.AddValidatedOptions<LimitsOptions>(LimitsOptions.Section);
        builder.AddValidatedOptions<RateLimitOptions>(RateLimitOptions.Section);
        builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<LimitsOptions>>((kestrel, limits) => Apply(kestrel.Limits, limits.Value));
        builder.Services.AddOptions<SocketTransportOptions>().Configure<IOptions<LimitsOptions>>((sockets, limits) => sockets.Backlog = limits.Value.AcceptBacklog);

        builder.Services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = (context, _) =>
            {
                if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
                {
                    context.HttpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                }

                return ValueTask.CompletedTask;
            };
        });
        builder.Services.AddOptions<RateLimiterOptions>().Configure<IOptions<RateLimitOptions>, ManagementPort>((o, rate, adminPort) =>
        {
            var settings = rate.Value;
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                // The admin port is the operator's, never limited; everyone else is partitioned by address.
                adminPort.IsManagement(context)
                    ? RateLimitPartition.GetNoLimiter("admin")
                    : RateLimitPartition.GetFixedWindowLimiter(
                        context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                        _ => new FixedWindowRateLimiterOptions { PermitLimit = settings.PermitLimit, Window = settings.Window, QueueLimit = 0 }));
        });
        return builder;
    }

    /// <summary>Per-client rate limiting, only when enabled: the limiter costs a dictionary look-up per request.</summary>
    public static WebApplication UseLoadBalancerRateLimit(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<RateLimitOptions>>().Value.Enabled)
        {
            app.UseRateLimiter();
        }

        return app;
    }

    private static void Apply(KestrelServerLimits kestrel, LimitsOptions limits)
    {
        kestrel.MaxRequestHeadersTotalSize = limits.MaxRequestHeadersTotalSize;
        kestrel.MaxRequestHeaderCount = limits.MaxRequestHeaderCount;
        kestrel.MaxRequestLineSize = limits.MaxRequestLineSize;
        kestrel.MaxRequestBodySize = limits.MaxRequestBodySize;
        kestrel.RequestHeadersTimeout = limits.RequestHeadersTimeout;
        kestrel.KeepAliveTimeout = limits.KeepAliveTimeout;
        kestrel.MinRequestBodyDataRate = limits.MinRequestBodyDataRate > 0 ? new MinDataRate(limits.MinRequestBodyDataRate, limits.MinDataRateGracePeriod) : null;
        kestrel.MinResponseDataRate = limits.MinResponseDataRate > 0 ? new MinDataRate(limits.MinResponseDataRate, limits.MinDataRateGracePeriod) : null;
        kestrel.MaxConcurrentConnections = limits.MaxConcurrentConnections > 0 ? limits.MaxConcurrentConnections : null;
    }
}
