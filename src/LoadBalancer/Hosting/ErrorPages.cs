namespace Foobar.LoadBalancer.Hosting;

/// <summary>
/// The page a visitor sees when the edge itself answers 502/503/504 with nothing written (no web server available or
/// reachable): small, static, and sent at once. A plain check after the proxy rather than UseStatusCodePages, which
/// allocates a feature on every request of the hot path. Other statuses, and any body a web server sent, pass as they are.
/// </summary>
internal sealed class ErrorPages(RequestDelegate next)
{
    private const string Unavailable = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>foobar is briefly unavailable</title></head>
        <body style="font-family: system-ui, sans-serif; max-width: 36rem; margin: 4rem auto; color: #222">
        <h1>foobar is briefly unavailable</h1>
        <p>No web server can take your request right now. Please try again in a few seconds.</p>
        <p style="color: #777">Status {0} from the load balancer.</p>
        </body></html>
        """;

    public async Task InvokeAsync(HttpContext context)
    {
        await next(context);

        var response = context.Response;
        if (response.HasStarted
            || response.ContentLength is not null
            || response.StatusCode is not (StatusCodes.Status502BadGateway or StatusCodes.Status503ServiceUnavailable or StatusCodes.Status504GatewayTimeout))
        {
            return;
        }

        response.ContentType = "text/html; charset=utf-8";
        response.Headers.CacheControl = "no-store";
        await response.WriteAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, Unavailable, response.StatusCode));
    }
}
