using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Foobar.TestSupport;

/// <summary>
/// A real Kestrel upstream on port 0 that answers every request with what it received (name, method, path, body, Via and
/// X-Forwarded-* headers), for tests of a proxy in front of it.
/// </summary>
public sealed class EchoUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;

    private EchoUpstream(WebApplication app, string name)
    {
        _app = app;
        Name = name;
    }

    public string Name { get; }

    public string Url { get; private set; } = "";

    /// <summary>What /health/ready answers; the API keeps answering either way.</summary>
    public bool Ready { get; set; } = true;

    public int Requests => Volatile.Read(ref _requests);

    public static async Task<EchoUpstream> StartAsync(string name, string? responseVia = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var upstream = new EchoUpstream(app, name);

        app.MapGet("/health/ready", () => upstream.Ready ? Results.Ok() : Results.StatusCode(503));
        app.Map("/{**path}", async (HttpContext context) =>
        {
            Interlocked.Increment(ref upstream._requests);
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

        await app.StartAsync();
        upstream.Url = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        return upstream;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public static async Task<Echo> ReadAsync(HttpResponseMessage response) =>
        JsonSerializer.Deserialize<Echo>(await response.Content.ReadAsStringAsync(), JsonSerializerOptions.Web)
            ?? throw new InvalidOperationException("empty echo");

    public sealed record Echo(string Name, string Method, string Path, string Body, string Via, string ForwardedFor, string ForwardedProto);
}
