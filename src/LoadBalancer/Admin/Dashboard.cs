using System.Reflection;

namespace Foobar.LoadBalancer.Admin;

/// <summary>
/// The live stats page, in the spirit of HAProxy's: one HTML page and one script, embedded in the assembly so the
/// admin listener needs no files on disk. The script polls /status every second and derives rates from the counters.
/// </summary>
internal static class Dashboard
{
    private static readonly byte[] Html = Load("dashboard.html");
    private static readonly byte[] Js = Load("dashboard.js");

    // The script is a separate file so the page can forbid inline script like the site does.
    private const string Policy = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'";

    public static IResult Page(HttpContext context)
    {
        context.Response.Headers.ContentSecurityPolicy = Policy;
        context.Response.Headers.CacheControl = "no-cache";
        return TypedResults.Bytes(Html, "text/html; charset=utf-8");
    }

    public static IResult Script(HttpContext context)
    {
        context.Response.Headers.CacheControl = "no-cache";
        return TypedResults.Bytes(Js, "text/javascript; charset=utf-8");
    }

    /// <summary>An embedded file of the admin listener (Admin/*.html, *.js, Monitoring/*.html, *.js).</summary>
    internal static byte[] Load(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"Foobar.LoadBalancer.Admin.{name}")
            ?? throw new InvalidOperationException($"embedded resource {name} missing");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
