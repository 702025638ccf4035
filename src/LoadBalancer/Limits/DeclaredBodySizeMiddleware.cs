using Microsoft.AspNetCore.Http.Features;

namespace Foobar.LoadBalancer.Limits;

/// <summary>
/// Answers 413 at once when a request declares (Content-Length) a body over Kestrel's limit. Kestrel itself only
/// objects when the body is read, and by then the proxy has already sent the request line and headers to a web server.
/// Chunked bodies are still cut by Kestrel as they stream, which the proxy reports as 413 too.
/// </summary>
internal sealed class DeclaredBodySizeMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (context.Request.ContentLength is { } length
            && context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize is { } limit
            && length > limit)
        {
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            context.Response.Headers.Connection = "close";
            return Task.CompletedTask;
        }

        return next(context);
    }
}
