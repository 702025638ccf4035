using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Foobar.AppServer.Apis;

/// <summary>
/// A JSON answer written whole, with its Content-Length, in one write: the body serialized first, then sent with the
/// headers. ASP.NET's own JSON results stream into the response and end it with a separate chunked terminator, so
/// every proxy on the way (the web tier, the load balancer) wakes twice per response and forwards two pieces; at the
/// app tier's request rates on a small shared machine those wake-ups cost the proxies more than the bytes do
/// (bench/README.md, "Stop 18"). The pages here are a few kilobytes (MessageRules.MaxLimit messages at most).
/// </summary>
internal sealed class SizedJsonResult(int statusCode, object value, string? location) : IResult
{
    public Task ExecuteAsync(HttpContext httpContext)
    {
        var options = httpContext.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        var body = JsonSerializer.SerializeToUtf8Bytes(value, value.GetType(), options);
        var response = httpContext.Response;
        response.StatusCode = statusCode;
        if (location is not null)
        {
            response.Headers[HeaderNames.Location] = location;
        }

        response.ContentType = "application/json; charset=utf-8";
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body, httpContext.RequestAborted).AsTask();
    }
}
