using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;

namespace Foobar.LoadBalancer.Election.Address;

/// <summary>
/// Ends keep-alive on the public listeners before a planned <c>address</c> mode handover. Once the neighbours follow the
/// new Master's gratuitous ARP, every segment of a connection this node still has open reaches the new Master, which
/// has no such connection and resets it (0-2 of ~180 requests per SIGTERM were, before this). So the leaving Master,
/// while it still has the address: answers every request with <c>Connection: close</c>, asks every open connection to
/// close (Kestrel closes an idle one at once and a busy one after its response, as in its own graceful shutdown) and
/// waits until those are gone. Clients reconnect, still to this node, for one request each until the address moves.
/// Tracks only connections on the public ports: the admin listener is never touched.
/// </summary>
internal sealed class KeepAliveDrain(IReadOnlyCollection<int> publicPorts)
{
    private readonly ConcurrentDictionary<string, IConnectionLifetimeNotificationFeature?> _open = new();
    private volatile bool _draining;

    /// <summary>Once set, responses on the public listeners close their connection (until the process exits).</summary>
    public bool Draining => _draining;

    /// <summary>Kestrel connection middleware (<c>ListenOptions.Use</c>): remembers the public connections open now.</summary>
    public ConnectionDelegate Track(ConnectionDelegate next) => async connection =>
    {
        if (connection.LocalEndPoint is not IPEndPoint local || !publicPorts.Contains(local.Port))
        {
            await next(connection);
            return;
        }

        _open[connection.ConnectionId] = connection.Features.Get<IConnectionLifetimeNotificationFeature>();
        try
        {
            await next(connection);
        }
        finally
        {
            _open.TryRemove(connection.ConnectionId, out _);
        }
    };

    /// <summary>HTTP middleware: while draining, no response keeps its connection alive.</summary>
    public Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        if (_draining && publicPorts.Contains(context.Connection.LocalPort))
        {
            if (HttpProtocol.IsHttp10(context.Request.Protocol) || HttpProtocol.IsHttp11(context.Request.Protocol))
            {
                // Kestrel closes the connection after a response that says so.
                context.Response.Headers.Connection = "close";
            }
            else
            {
                // HTTP/2 and 3 have no Connection header: GOAWAY, the streams in flight finish.
                context.Features.Get<IConnectionLifetimeNotificationFeature>()?.RequestClose();
            }
        }

        return next(context);
    }

    /// <summary>Public connections open now.</summary>
    public int Open => _open.Count;

    /// <summary>This node holds the address again: responses keep their connections alive again.</summary>
    public void Resume() => _draining = false;

    /// <summary>
    /// Starts draining and waits until every public connection open now has closed (<paramref name="everyConnection"/>:
    /// also those opened meanwhile, for when no new ones can arrive), at most <paramref name="timeout"/>; returns how many
    /// were open and how many are still open (a response slower than the timeout).
    /// </summary>
    public async Task<(int Open, int Left)> DrainAsync(TimeSpan timeout, TimeProvider time, bool everyConnection, CancellationToken cancellationToken)
    {
        _draining = true;
        var open = _open.ToArray();
        foreach (var (_, lifetime) in open)
        {
            lifetime?.RequestClose();
        }

        int Left() => everyConnection ? _open.Count : open.Count(c => _open.ContainsKey(c.Key));
        var started = time.GetTimestamp();
        var left = Left();
        while (left > 0 && time.GetElapsedTime(started) < timeout && !cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(2), time, CancellationToken.None);
            left = Left();
        }

        return (open.Length, left);
    }
}
