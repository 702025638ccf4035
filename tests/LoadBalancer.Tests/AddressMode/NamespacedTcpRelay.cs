using System.Net;
using System.Net.Sockets;

namespace Foobar.LoadBalancer.Tests.AddressMode;

/// <summary>
/// A TCP port on a lab namespace's loopback that leads to a server in the machine's own namespace (the test's
/// PostgreSQL): how a load balancer in its namespace reaches the witness without the lab touching the machine's
/// network. <see cref="Cut"/> partitions that one host from the witness: open connections are reset and new ones are
/// accepted but never answered, as behind a firewall that drops the packets.
/// </summary>
internal sealed class NamespacedTcpRelay : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly IPEndPoint _upstream;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Socket> _open = [];
    private readonly Task _accepting;
    private volatile bool _cut;

    private NamespacedTcpRelay(Socket listener, IPEndPoint upstream)
    {
        _listener = listener;
        _upstream = upstream;
        _accepting = Task.Run(AcceptAsync);
    }

    /// <summary>Listens on 127.0.0.1:<paramref name="port"/> inside <paramref name="ns"/> and relays to <paramref name="upstream"/>.</summary>
    public static NamespacedTcpRelay Start(string ns, int port, IPEndPoint upstream)
    {
        var listener = NamespaceSocket.Create(ns, AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
        listener.Listen(64);
        return new NamespacedTcpRelay(listener, upstream);
    }

    /// <summary>While set, the host behind this relay cannot reach the witness.</summary>
    public bool Cut
    {
        get => _cut;
        set
        {
            _cut = value;
            if (value)
            {
                CloseAll(reset: true);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        CloseAll(reset: false);
        await _accepting;
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            Track(client);
            if (_cut)
            {
                // Held open, never answered: the client times out.
                continue;
            }

            var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            Track(upstream);
            try
            {
                await upstream.ConnectAsync(_upstream, _stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // The server is stopped: the client sees its connection closed, as it would see it refused.
                client.Dispose();
                upstream.Dispose();
                continue;
            }

            _ = PumpAsync(client, upstream);
            _ = PumpAsync(upstream, client);
        }
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[16384];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (read == 0 || _cut)
                {
                    break;
                }

                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // One side went away.
        }

        if (!_cut)
        {
            from.Dispose();
            to.Dispose();
        }
    }

    private void Track(Socket socket)
    {
        lock (_open)
        {
            _open.RemoveAll(s => s.SafeHandle.IsClosed);
            _open.Add(socket);
        }
    }

    private void CloseAll(bool reset)
    {
        lock (_open)
        {
            foreach (var socket in _open)
            {
                if (reset)
                {
                    try
                    {
                        socket.LingerState = new LingerOption(true, 0);
                    }
                    catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                    {
                        // Already closed.
                    }
                }

                socket.Dispose();
            }

            _open.Clear();
        }
    }
}
