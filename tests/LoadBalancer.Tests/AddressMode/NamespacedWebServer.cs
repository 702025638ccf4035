using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Foobar.LoadBalancer.Tests.AddressMode;

/// <summary>
/// A small real web server (Kestrel, in this test process) whose listening socket lives in the lab's web namespace, so
/// the load balancers reach it across the bridge. It answers every path with its name, as TestSupport's NamedUpstream does.
/// </summary>
internal sealed class NamespacedWebServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private NamespacedWebServer(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    public string Url { get; }

    public static async Task<NamespacedWebServer> StartAsync(string ns, string address, int port, string name)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseSockets(o => o.CreateBoundListenSocket = endpoint =>
        {
            var socket = NamespaceSocket.Create(ns, AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(endpoint);
            return socket;
        });
        builder.WebHost.ConfigureKestrel(o => o.Listen(IPAddress.Parse(address), port));
        var app = builder.Build();
        app.MapGet("/health/ready", () => "ok");
        app.MapFallback((HttpContext _) => name);
        await app.StartAsync();
        return new NamespacedWebServer(app, $"http://{address}:{port}");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(new CancellationToken(canceled: true));
        await _app.DisposeAsync();
    }
}
