using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;

namespace Foobar.LoadBalancer.Election.Endpoint;

/// <summary>
/// Ends keep-alive on the public listeners before this node lets go of the endpoint, so that no kept-alive connection
/// is cut under a request its client is sending. <c>address</c> mode: once the neighbours follow the new Master's
/// gratuitous ARP, every segment of a connection this node still has open reaches the new Master, which resets it (0-2
/// of ~180 requests per SIGTERM were, before this). <c>listen</c> mode: closing the public listeners after a handover
/// makes Kestrel close the connections it accepted on them, an idle one at once, and a request its client sent in that
/// instant was reset (1 in about half the failover matrix's SIGTERM trials at load average 20-26). So the leaving node:
/// answers every request with <c>Connection: close</c>, waits for the connections to close on their own, asks the ones
/// still open (idle all along) to close, and waits until those are gone. Tracks only connections on the public ports:
/// the admin listener is never touched.
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
    /// were open and how many are still open (a response slower than the timeout). For the first half of the timeout
    /// this side closes nothing: a busy connection's next response says <c>Connection: close</c> and its client, having
    /// read that, sends nothing more on it. Closing an idle connection from this side races with a request its client
    /// may be sending at that instant (RFC 9112 9.6 lets a client retry it; many, HttpClient among them, fail with a
    /// reset instead), so only connections that stayed idle that long are asked to close.
    /// </summary>
    public async Task<(int Open, int Left)> DrainAsync(TimeSpan timeout, TimeProvider time, bool everyConnection, CancellationToken cancellationToken)
    {
        _draining = true;
        var open = _open.ToArray();
        int Left() => everyConnection ? _open.Count : open.Count(c => _open.ContainsKey(c.Key));
        var started = time.GetTimestamp();
        var left = await WaitUntilClosedAsync(Left, timeout / 2, time, cancellationToken);
        if (left > 0)
        {
            foreach (var (_, lifetime) in _open.ToArray())
            {
                lifetime?.RequestClose();
            }

            left = await WaitUntilClosedAsync(Left, timeout - time.GetElapsedTime(started), time, cancellationToken);
        }

        return (open.Length, left);
    }

    private static async Task<int> WaitUntilClosedAsync(Func<int> left, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var count = left();
        while (count > 0 && time.GetElapsedTime(started) < timeout && !cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(2), time, CancellationToken.None);
            count = left();
        }

        return count;
    }
}
