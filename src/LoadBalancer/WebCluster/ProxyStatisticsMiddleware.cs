using System.Diagnostics;
using Yarp.ReverseProxy.Forwarder;

namespace Foobar.LoadBalancer.WebCluster;

/// <summary>
/// Counts each proxied request against the web server that finally answered it (after a retry, the second one) and
/// times it. Outside the proxy pipeline so the shared one stays as it is; it reads what YARP left on the context.
/// </summary>
internal sealed class ProxyStatisticsMiddleware(RequestDelegate next, WebServerStatistics statistics)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        await next(context);

        if (context.Features.Get<Yarp.ReverseProxy.Model.IReverseProxyFeature>() is not { } proxy)
        {
            return; // Not a proxied request: admin, redirect, 421.
        }

        var failed = context.Features.Get<IForwarderErrorFeature>() is not null || context.Response.StatusCode >= 500;
        statistics.RecordTotal(failed);
        if (proxy.ProxiedDestination is { } destination)
        {
            statistics.For(destination.DestinationId).Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, failed);
        }
    }
}
