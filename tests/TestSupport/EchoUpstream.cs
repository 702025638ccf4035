using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Foobar.TestSupport;

/// <summary>
/// A real Kestrel upstream on port 0 that answers every request with what it received (name, method, path, body, Via and
/// X-Forwarded-* headers), for tests of a proxy in front of it.
/// </summary>
public sealed class EchoUpstream : KestrelUpstream
{
    private EchoUpstream(string name)
        : base(name)
    {
    }

    /// <summary>What /health/ready answers; the API keeps answering either way.</summary>
    public bool Ready { get; set; } = true;

    /// <param name="maxBodyBytes">Kestrel's body limit, as the app tier sets one: over it, a 413 and the upload cut off.</param>
    public static async Task<EchoUpstream> StartAsync(string name, string? responseVia = null, long? maxBodyBytes = null)
    {
        var app = CreateBuilder(maxBodyBytes is { } limit ? kestrel => kestrel.Limits.MaxRequestBodySize = limit : null).Build();
        var upstream = new EchoUpstream(name);

        app.MapGet("/health/ready", () => upstream.Ready ? Results.Ok() : Results.StatusCode(503));
        app.Map("/{**path}", async (HttpContext context) =>
        {
            upstream.CountRequest();
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync();
            if (responseVia is not null)
            {
                context.Response.Headers.Via = responseVia;
            }

            return Results.Json(new Echo(
                name,
                context.Request.Method,
                context.Request.Path,
                body,
                context.Request.Headers.Via.ToString(),
                context.Request.Headers["X-Forwarded-For"].ToString(),
                context.Request.Headers["X-Forwarded-Proto"].ToString()));
        });

        await upstream.StartAsync(app);
        return upstream;
    }

    public static async Task<Echo> ReadAsync(HttpResponseMessage response) =>
        JsonSerializer.Deserialize<Echo>(await response.Content.ReadAsStringAsync(), JsonSerializerOptions.Web)
            ?? throw new InvalidOperationException("empty echo");

    public sealed record Echo(string Name, string Method, string Path, string Body, string Via, string ForwardedFor, string ForwardedProto);
}
