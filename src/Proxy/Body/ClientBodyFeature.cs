using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Foobar.Proxy.Body;

/// <summary>Whether the client's request body has been read to its end, set by <see cref="ClientBodyMiddleware"/>.</summary>
internal sealed class ClientBodyFeature
{
    public bool Received { get; set; }

    /// <summary>True when the request has no body, or its body arrived in full before the forwarder failed.</summary>
    public static bool FullyReceived(HttpContext context) =>
        context.Features.Get<IHttpRequestBodyDetectionFeature>() is { CanHaveBody: false }
        || context.Request.ContentLength == 0
        || context.Features.Get<ClientBodyFeature>() is { Received: true };
}
