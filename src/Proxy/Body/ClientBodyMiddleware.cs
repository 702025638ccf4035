using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Foobar.Proxy.Body;

/// <summary>
/// First in the proxy pipeline, so that a client's request body is judged before any destination sees it.
/// With <see cref="ProxyClusterOptions.MaxRequestBodyBytes"/> set (the web tier: the app's own limit), the body is
/// read in full first, nginx's <c>proxy_request_buffering on</c>: an oversized body is a 413 here, and a slow or
/// abandoned upload costs only this hop (Kestrel's own minimum data rate cuts it), never an app server's connection.
/// Without a limit (the load balancer, whose Kestrel limit is the outer bound) bodies stream through.
/// </summary>
internal sealed class ClientBodyMiddleware(RequestDelegate next, IOptions<ProxyClusterOptions> options)
{
    private const int ChunkBytes = 16 * 1024;

    public async Task InvokeAsync(HttpContext context)
    {
        if (!RequestBody.IsPresent(context) || options.Value.MaxRequestBodyBytes is not { } limit)
        {
            await next(context);
            return;
        }

        if (context.Request.ContentLength > limit)
        {
            TooLarge(context);
            return;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = limit;
        }

        MemoryStream? body;
        try
        {
            body = await ReadAllAsync(context.Request.Body, limit, context.RequestAborted);
        }
        catch (BadHttpRequestException ex)
        {
            // Kestrel's verdict on the client: 413 over the limit, 408 below the minimum data rate, 400 malformed.
            context.Response.StatusCode = ex.StatusCode;
            context.Response.Headers.Connection = "close";
            return;
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException && context.RequestAborted.IsCancellationRequested)
        {
            // The client went away mid-upload: nobody is left to answer.
            return;
        }

        if (body is null)
        {
            TooLarge(context);
            return;
        }

        context.Request.Body = body;
        if (context.Request.ContentLength is null)
        {
            // A chunked upload now has a known length, which also makes it replayable by the retry step.
            context.Request.Headers.Remove(HeaderNames.TransferEncoding);
            context.Request.ContentLength = body.Length;
        }

        await next(context);
    }

    /// <summary>The whole body in memory, or null when it is longer than <paramref name="limit"/>.</summary>
    private static async Task<MemoryStream?> ReadAllAsync(Stream source, long limit, CancellationToken cancellationToken)
    {
        var body = new MemoryStream();
        var chunk = new byte[ChunkBytes];
        int read;
        while ((read = await source.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (body.Length + read > limit)
            {
                return null;
            }

            body.Write(chunk, 0, read);
        }

        body.Position = 0;
        return body;
    }

    /// <summary>
    /// An empty 413; the host renders its body (problem+json for the API). The connection stays open: Kestrel then
    /// reads and discards the declared body (bounded by its own MaxRequestBodySize and minimum data rate) instead of
    /// closing with unread bytes, which makes the kernel reset the connection and can destroy the 413 in flight to a
    /// proxy in front (the load balancer saw that as a 502 from this server).
    /// </summary>
    private static void TooLarge(HttpContext context) =>
        context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
}
