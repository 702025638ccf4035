using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Foobar.LoadBalancer.Tests.Support;

/// <summary>
/// A small real web server on a loopback port chosen by the OS, standing in for a web tier node when a test needs to
/// see what arrived (headers), to hold a request open (drain), or to count requests. Answers name itself in X-Backend.
/// </summary>
internal sealed class Backend : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;
    private int _inFlight;

    private Backend(WebApplication app, string name)
    {
        _app = app;
        Name = name;
    }

    public string Name { get; }

    public int Port { get; private set; }

    public string Url => $"http://127.0.0.1:{Port}";

    /// <summary>Requests received, health probes excluded.</summary>
    public int Requests => Volatile.Read(ref _requests);

    public int InFlight => Volatile.Read(ref _inFlight);

    public static async Task<Backend> StartAsync(string name)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var backend = new Backend(app, name);
        app.Use(async (context, next) =>
        {
            context.Response.Headers["X-Backend"] = name;
            if (context.Request.Path.StartsWithSegments("/health"))
            {
                await next(context);
                return;
            }

            Interlocked.Increment(ref backend._requests);
            Interlocked.Increment(ref backend._inFlight);
            try
            {
                await next(context);
            }
            finally
            {
                Interlocked.Decrement(ref backend._inFlight);
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
            return (await reader.ReadToEndAsync()).Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
        });
        app.MapFallback(() => name);
        await app.StartAsync();
        backend.Port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
        return backend;
    }

    public static Dictionary<string, string> ParseEcho(string json) =>
        JsonSerializer.Deserialize<Dictionary<string, string>>(json, new JsonSerializerOptions { PropertyNameCaseInsensitive = true })!
            .ToDictionary(p => p.Key, p => p.Value, StringComparer.OrdinalIgnoreCase);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(new CancellationToken(canceled: true));
        await _app.DisposeAsync();
    }
}
