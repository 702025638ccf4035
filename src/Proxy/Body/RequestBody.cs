using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Foobar.Proxy.Body;

/// <summary>Whether a request carries a body at all (a GET, or a POST with Content-Length 0, does not).</summary>
internal static class RequestBody
{
    public static bool IsPresent(HttpContext context) =>
        context.Features.Get<IHttpRequestBodyDetectionFeature>() is not { CanHaveBody: false }
        && context.Request.ContentLength != 0;
}
