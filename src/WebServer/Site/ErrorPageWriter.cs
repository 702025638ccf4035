using System.Reflection;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Net.Http.Headers;

namespace Foobar.WebServer.Site;

/// <summary>
/// Bodies for empty error responses (no route, or the proxy's 502/503/504): RFC 9457 problem+json for the API
/// and for clients that ask for JSON, a friendly HTML page for browsers.
/// </summary>
internal sealed class ErrorPageWriter(IProblemDetailsService problemDetails)
{
    private static readonly string NotFoundPage = ReadPage("not-found.html");
    private static readonly string UnavailablePage = ReadPage("unavailable.html");

    public async Task WriteAsync(StatusCodeContext context)
    {
        var http = context.HttpContext;
        var status = http.Response.StatusCode;
        if (WantsJson(http.Request))
        {
            await problemDetails.WriteAsync(new ProblemDetailsContext
            {
                HttpContext = http,
                ProblemDetails = { Status = status, Title = Title(status), Detail = Detail(status) },
            });
            return;
        }

        http.Response.ContentType = "text/html; charset=utf-8";
        // An error page must never be cached: the next try should reach the server again.
        http.Response.Headers.CacheControl = "no-store";
        await http.Response.WriteAsync(status == StatusCodes.Status404NotFound ? NotFoundPage : UnavailablePage.Replace("{status}", status.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
    }

    private static bool WantsJson(HttpRequest request)
    {
        if (request.Path.StartsWithSegments("/api"))
        {
            return true;
        }

        var accept = request.GetTypedHeaders().Accept;
        return accept.Count > 0
            && accept.Any(a => a.MediaType.Value is { } media && (media.EndsWith("/json", StringComparison.OrdinalIgnoreCase) || media.EndsWith("+json", StringComparison.OrdinalIgnoreCase)))
            && !accept.Any(a => a.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase));
    }

    private static string Title(int status) => status switch
    {
        StatusCodes.Status404NotFound => "Not found",
        StatusCodes.Status502BadGateway => "The app server failed to answer",
        StatusCodes.Status503ServiceUnavailable => "No app server is available",
        StatusCodes.Status504GatewayTimeout => "The app server took too long",
        _ => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status),
    };

    private static string? Detail(int status) => status switch
    {
        StatusCodes.Status502BadGateway or StatusCodes.Status503ServiceUnavailable or StatusCodes.Status504GatewayTimeout =>
            "The web tier is up but could not get an answer from the app tier. Try again in a moment.",
        _ => null,
    };

    private static string ReadPage(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"ErrorPages.{name}")
            ?? throw new InvalidOperationException($"Embedded error page {name} is missing");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
