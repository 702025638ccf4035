using System.Globalization;
using Foobar.LoadBalancer.Admin;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Foobar.LoadBalancer.Monitoring;

/// <summary>
/// The stack dashboard on the admin listener: <c>GET /stack</c> (page), <c>/stack.js</c> (its script, SVG drawn
/// from the same origin, no inline script), <c>/stack.json</c> (<see cref="StackView"/>; <c>?since=</c> Unix ms).
/// </summary>
internal static class StackDashboard
{
    private static readonly byte[] Html = Dashboard.Load("stack.html");
    private static readonly byte[] Js = Dashboard.Load("stack.js");

    // As the stats page: script only from this origin, the page's own styles, no framing. SVG needs nothing more.
    private const string Policy = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; img-src 'self'; frame-ancestors 'none'";

    public static IEndpointRouteBuilder MapStackDashboard(this IEndpointRouteBuilder endpoints)
    {
        var admin = endpoints.MapGroup("").WithMetadata(AdminEndpointMetadata.Instance);
        admin.MapGet("/stack", Page);
        admin.MapGet("/stack.js", Script);
        admin.MapGet("/stack.json", Data);
        return endpoints;
    }

    private static IResult Page(HttpContext context)
    {
        context.Response.Headers.ContentSecurityPolicy = Policy;
        context.Response.Headers.CacheControl = "no-cache";
        return TypedResults.Bytes(Html, "text/html; charset=utf-8");
    }

    private static IResult Script(HttpContext context)
    {
        context.Response.Headers.CacheControl = "no-cache";
        return TypedResults.Bytes(Js, "text/javascript; charset=utf-8");
    }

    private static Ok<StackView> Data(StackMonitor monitor, string? since) =>
        TypedResults.Ok(monitor.Snapshot(long.TryParse(since, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) ? ms : 0));
}
