using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Foobar.TestSupport;

/// <summary>
/// What the fake upstreams that are real Kestrel servers share (<see cref="EchoUpstream"/>, <see cref="NamedUpstream"/>):
/// a slim app on 127.0.0.1 with a port the OS chose, no logging, its URL once started, and a name to answer with. The
/// raw-socket fakes (<see cref="SilentUpstream"/>, <see cref="UnreachableUpstream"/>) are the family's other half.
/// </summary>
public abstract class KestrelUpstream(string name) : IAsyncDisposable
{
    private WebApplication? _app;
    private int _requests;

    public string Name { get; } = name;

    public string Url { get; private set; } = "";

    public int Port => new Uri(Url).Port;

    /// <summary>Requests answered, health probes excluded.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>How <see cref="DisposeAsync"/> stops the server: gracefully, or at once, cutting what is still in flight.</summary>
    protected virtual bool StopAbruptly => false;

    /// <summary>A slim builder listening on 127.0.0.1:0, logging nothing; <paramref name="kestrel"/> adds limits.</summary>
    protected static WebApplicationBuilder CreateBuilder(Action<KestrelServerOptions>? kestrel = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        if (kestrel is not null)
        {
            builder.WebHost.ConfigureKestrel(kestrel);
        }

        builder.Logging.ClearProviders();
        return builder;
    }

    /// <summary>Counts one request in <see cref="Requests"/>; the subclass's handlers decide which.</summary>
    protected void CountRequest() => Interlocked.Increment(ref _requests);

    /// <summary>Starts <paramref name="app"/>, whose routes are mapped, and takes its address.</summary>
    protected async Task StartAsync(WebApplication app)
    {
        _app = app;
        await app.StartAsync();
        Url = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync(new CancellationToken(canceled: StopAbruptly));
            await _app.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }
}
