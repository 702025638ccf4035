using Foobar.Proxy.Body;
using System.Net.Http;
using Foobar.Proxy.Health;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Foobar.Proxy.Retry;

/// <summary>
/// HAProxy's <c>retries 1</c> + <c>option redispatch</c> for YARP, which has none (dotnet/yarp#56): when the
/// forwarder fails before any response byte reached the client, the request is sent once more to another
/// available destination. A request that never reached an upstream (connect failure) is always re-sent;
/// one that reached it only when <see cref="ProxyDefinition.RetryWhen"/> allows. Runs first in the proxy
/// pipeline so that a retry goes through load balancing, passive health and the forwarder again.
/// </summary>
internal sealed partial class ProxyRetryMiddleware(
    RequestDelegate next,
    IOptions<ProxyClusterOptions> options,
    ProxyDefinition definition,
    ProxyMetrics metrics,
    ILogger<ProxyRetryMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var feature = context.GetReverseProxyFeature();
        // Load balancing narrows AvailableDestinations to the one it picked: keep the full list for the retry.
        var candidates = feature.AvailableDestinations;
        var replayable = options.Value.Retry.Enabled && PrepareBodyForReplay(context, options.Value.Retry.MaxBodyBytes);

        await next(context);

        if (replayable && FailedBeforeResponse(context, out var connectFailure)
            && (connectFailure || definition.RetryWhen(context.Request))
            && Remaining(candidates, feature.ProxiedDestination) is { Count: > 0 } remaining)
        {
            var reason = connectFailure ? "connect" : "no-response";
            Log.Retrying(logger, context.Request.Method, context.Request.Path, feature.ProxiedDestination?.DestinationId ?? "?", definition.ClusterId, reason);
            metrics.Retried(definition.ClusterId, reason);
            context.Response.Clear();
            context.Features.Set<IForwarderErrorFeature>(null);
            if (context.Request.Body.CanSeek)
            {
                context.Request.Body.Position = 0;
            }

            feature.AvailableDestinations = remaining;
            await next(context);
        }

        AnswerUnavailable(context);
    }

    /// <summary>
    /// Buffers a small body so it can be sent twice. Bodies of unknown length or above the limit stream
    /// straight through and make the request non-retryable: buffering them would be an unbounded cost.
    /// </summary>
    private static bool PrepareBodyForReplay(HttpContext context, int maxBodyBytes)
    {
        var request = context.Request;
        if (!RequestBody.IsPresent(context))
        {
            return true;
        }

        if (request.ContentLength is { } length && length <= maxBodyBytes)
        {
            request.EnableBuffering(bufferThreshold: maxBodyBytes, bufferLimit: maxBodyBytes);
            return true;
        }

        return false;
    }

    private static bool FailedBeforeResponse(HttpContext context, out bool connectFailure)
    {
        connectFailure = false;
        if (context.Response.HasStarted || context.Features.Get<IForwarderErrorFeature>() is not { } error)
        {
            return false;
        }

        connectFailure = ConnectFailure.Is(error);
        return connectFailure || error.Error is ForwarderError.Request or ForwarderError.RequestBodyDestination;
    }

    private static List<DestinationState> Remaining(IReadOnlyList<DestinationState> candidates, DestinationState? failed) =>
        candidates.Where(d => d != failed && HealthyOnlyDestinationsPolicy.IsUsable(d)).ToList();

    /// <summary>
    /// No destination available, or none reachable: 503 (HAProxy's answer when no server could take the request),
    /// with an empty body the host renders as its own error page. A 502 stays for an upstream that was reached and failed.
    /// </summary>
    private void AnswerUnavailable(HttpContext context)
    {
        if (context.Response.HasStarted || context.Features.Get<IForwarderErrorFeature>() is not { } error)
        {
            return;
        }

        var unavailable = error.Error == ForwarderError.NoAvailableDestinations
            || ConnectFailure.Is(error);
        if (!unavailable)
        {
            return;
        }

        Log.Unavailable(logger, definition.ClusterId, context.Request.Method, context.Request.Path);
        metrics.Unavailable(definition.ClusterId);
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers[HeaderNames.RetryAfter] = "1";
    }
}
