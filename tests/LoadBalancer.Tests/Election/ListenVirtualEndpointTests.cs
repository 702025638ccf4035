using System.Net;
using System.Net.Sockets;
using Foobar.LoadBalancer.Election;
using Foobar.LoadBalancer.Election.Listen;
using Foobar.LoadBalancer.Election.Protocol;
using Foobar.LoadBalancer.Tests.Failover;
using Foobar.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Foobar.LoadBalancer.Tests.Election;

/// <summary>
/// The wiring demo: two real Kestrel servers share one public port; only the leader listens on it, the admin
/// listeners (declared in code) stay up throughout, and a graceful stop hands the port over.
/// </summary>
[Collection(FailoverCollection.Name)]
public sealed class ListenVirtualEndpointTests
{
    private const string Key = "listen-test-key-0123456789";

    private static WebApplication BuildNode(string name, int priority, int udp, int peerUdp, int publicPort, out int adminPort)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration["Node:Name"] = name;
        builder.Configuration["Election:Key"] = Key;
        builder.Configuration["Election:Priority"] = priority.ToString(System.Globalization.CultureInfo.InvariantCulture);
        builder.Configuration["Election:Bind"] = $"127.0.0.1:{udp}";
        builder.Configuration["Election:Peers:0"] = $"127.0.0.1:{peerUdp}";
        builder.Configuration["Election:BindGracePeriod"] = "00:00:00.300";
        var admin = FreePort.Tcp();
        adminPort = admin;
        builder.WebHost.ConfigureKestrel(o => o.Listen(IPAddress.Loopback, admin));
        builder.AddLeaderElection(PublicEndpoint.Http($"http://127.0.0.1:{publicPort}"));
        var app = builder.Build();
        app.MapGet("/", (HttpContext context) => $"{name}:{context.Connection.LocalPort}");
        return app;
    }

    private static async Task<string?> TryGet(HttpClient client, int port)
    {
        try
        {
            return await client.GetStringAsync(new Uri($"http://127.0.0.1:{port}/"));
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    [Fact]
    public async Task TwoKestrelNodes_OnePublicPort_OnlyLeaderServesAndGracefulStopHandsOver()
    {
        int udp1 = FreePort.Udp(), udp2 = FreePort.Udp(), publicPort = FreePort.Tcp();
        await using var lb1 = BuildNode("lb-1", 200, udp1, udp2, publicPort, out var admin1);
        await using var lb2 = BuildNode("lb-2", 100, udp2, udp1, publicPort, out var admin2);
        using var client = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero }) { Timeout = TimeSpan.FromSeconds(2) };
        client.DefaultRequestHeaders.ConnectionClose = true;
        await lb2.StartAsync();
        await lb1.StartAsync();

        await Poll.UntilAsync(async () => await TryGet(client, publicPort) == $"lb-1:{publicPort}", TimeSpan.FromSeconds(5), interval: TimeSpan.FromMilliseconds(10));
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal($"lb-1:{publicPort}", await TryGet(client, publicPort));
        }

        Assert.Equal($"lb-1:{admin1}", await TryGet(client, admin1));
        Assert.Equal($"lb-2:{admin2}", await TryGet(client, admin2));
        Assert.True(lb1.Services.GetRequiredService<ILeaderElection>().GetSnapshot().Healthy);

        var stopping = lb1.StopAsync();
        var handedOver = await Poll.UntilAsync(async () => await TryGet(client, publicPort) == $"lb-2:{publicPort}", TimeSpan.FromSeconds(2), interval: TimeSpan.FromMilliseconds(10));
        await stopping;

        Assert.True(handedOver < TimeSpan.FromSeconds(2), $"handed over after {handedOver}");
        Assert.Equal($"lb-2:{admin2}", await TryGet(client, admin2));
        await lb2.StopAsync();
    }

    [Fact]
    public async Task Leader_PortHeldByAnotherProcess_UnhealthyUntilItFrees()
    {
        int udp1 = FreePort.Udp(), udp2 = FreePort.Udp();
        var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var publicPort = ((IPEndPoint)squatter.LocalEndpoint).Port;
        await using var lb1 = BuildNode("lb-1", 200, udp1, udp2, publicPort, out _);
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var election = lb1.Services.GetRequiredService<ILeaderElection>();
        await lb1.StartAsync();

        await Poll.UntilAsync(() => Task.FromResult(election.GetSnapshot() is { Healthy: false, State: VrrpState.Master }), TimeSpan.FromSeconds(5), interval: TimeSpan.FromMilliseconds(10));
        var sick = election.GetSnapshot();
        Assert.Equal(50, sick.EffectivePriority);
        Assert.Contains("cannot bind the virtual endpoint", sick.HealthReason, StringComparison.Ordinal);

        squatter.Stop();
        await Poll.UntilAsync(async () => await TryGet(client, publicPort) == $"lb-1:{publicPort}", TimeSpan.FromSeconds(5), interval: TimeSpan.FromMilliseconds(10));
        await Poll.UntilAsync(() => Task.FromResult(election.GetSnapshot().Healthy), TimeSpan.FromSeconds(2), interval: TimeSpan.FromMilliseconds(10));
        Assert.Equal(200, election.GetSnapshot().EffectivePriority);
        await lb1.StopAsync();
    }
}
