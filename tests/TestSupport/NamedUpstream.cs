using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Foobar.TestSupport;

/// <summary>
/// A real Kestrel upstream on port 0 standing in for a web tier node behind a load balancer: it names itself in
/// X-Backend on every answer and in the body of any path it has no route for, counts requests and those in flight,
/// and has <c>/echo</c> (the request's headers as JSON), <c>/slow?ms=</c> (held open, for drains) and
/// <c>POST /upload</c> (the body's length). Stopped at once on dispose, cutting what is in flight.
/// </summary>
public sealed class NamedUpstream : KestrelUpstream
{
    private int _inFlight;

    private NamedUpstream(string name)
        : base(name)
    {
    }

    public int InFlight => Volatile.Read(ref _inFlight);

    protected override bool StopAbruptly => true;

    public static async Task<NamedUpstream> StartAsync(string name)
    {
        var app = CreateBuilder().Build();
        var upstream = new NamedUpstream(name);
        app.Use(async (context, next) =>
        {
            context.Response.Headers["X-Backend"] = name;
            if (context.Request.Path.StartsWithSegments("/health"))
            {
                await next(context);
                return;
            }

            upstream.CountRequest();
            Interlocked.Increment(ref upstream._inFlight);
            try
            {
                await next(context);
            }
            finally
            {
                Interlocked.Decrement(ref upstream._inFlight);
            }
        });
        app.MapGet("/health/ready", () => "ok");
        app.MapGet("/echo", (HttpContext context) => Results.Json(context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase)));
        app.MapGet("/slow", async (int ms) =>
        {
            await Task.Delay(ms);
            return name;
        });
        app.MapPost("/upload", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body);
            return (await reader.ReadToEndAsync()).Length.ToString(CultureInfo.InvariantCulture);
        });
        app.MapFallback(() => name);
        await upstream.StartAsync(app);
        return upstream;
    }

    /// <summary>The headers an <c>/echo</c> answer lists, by case-insensitive name.</summary>
    public static Dictionary<string, string> ParseEcho(string json) =>
        JsonSerializer.Deserialize<Dictionary<string, string>>(json, new JsonSerializerOptions { PropertyNameCaseInsensitive = true })!
            .ToDictionary(p => p.Key, p => p.Value, StringComparer.OrdinalIgnoreCase);
}
