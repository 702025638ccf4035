using System.Net;
using System.Net.Sockets;

namespace Foobar.TestSupport;

/// <summary>
/// An address where a connection attempt neither succeeds nor is refused: a listener that never accepts, with its
/// backlog filled by connections of its own, so the kernel drops every further SYN and the client's connect hangs
/// until its timeout. What a proxy sees when a server's address has gone from the network (a removed container, a
/// host powered off): nothing reached it, so any request may be sent elsewhere.
/// </summary>
public sealed class UnreachableUpstream : IDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly List<Socket> _fillers = [];

    public UnreachableUpstream()
    {
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(0);
        var endpoint = (IPEndPoint)_listener.LocalEndPoint!;
        Url = $"http://127.0.0.1:{endpoint.Port}";

        // listen(0) still queues one or two connections: fill them, then SYNs are dropped (tcp_abort_on_overflow=0).
        for (var i = 0; i < 4; i++)
        {
            var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { Blocking = false };
            try
            {
                filler.Connect(endpoint);
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
            {
                // Pending: a SYN the kernel now ignores, or a queued connection.
            }

            _fillers.Add(filler);
        }
    }

    public string Url { get; }

    public void Dispose()
    {
        foreach (var filler in _fillers)
        {
            filler.Dispose();
        }

        _listener.Dispose();
    }
}
