using System.Net;
using System.Net.Sockets;

using Foobar.LoadBalancer.Tests.AddressMode;

namespace Foobar.LoadBalancer.Tests.Support;

/// <summary>
/// A TCP port on a loopback that leads to a server in the machine's own namespace (the test's PostgreSQL): in a lab
/// namespace, how a load balancer there reaches the witness without the lab touching the machine's network
/// (<see cref="Start"/>); in the test's own namespace, a witness connection a test can break (<see cref="StartHere"/>).
/// <see cref="Cut"/> partitions that host from the witness: open connections are reset and new ones are accepted but
/// never answered, as behind a firewall that drops the packets. <see cref="Freeze"/> stops delivering instead: bytes
/// on open connections are held (not lost) until <see cref="Thaw"/>, and new connections are reset, as when the
/// witness's container leaves its network and comes back.
/// </summary>
internal sealed class TcpRelay : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly IPEndPoint _upstream;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Socket> _open = [];
    private readonly Task _accepting;
    private volatile bool _cut;
    private TaskCompletionSource _thawed = Thawed();

    private TcpRelay(Socket listener, IPEndPoint upstream)
    {
        _listener = listener;
        _upstream = upstream;
        _accepting = Task.Run(AcceptAsync);
    }

    /// <summary>Listens on 127.0.0.1:<paramref name="port"/> inside <paramref name="ns"/> and relays to <paramref name="upstream"/>.</summary>
    public static TcpRelay Start(string ns, int port, IPEndPoint upstream) =>
        Listen(NamespaceSocket.Create(ns, AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp), port, upstream);

    /// <summary>Listens on 127.0.0.1 at a free port (<see cref="Port"/>) in the test's own namespace.</summary>
    public static TcpRelay StartHere(IPEndPoint upstream) =>
        Listen(new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp), 0, upstream);

    public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

    public void Freeze() => Volatile.Write(ref _thawed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    public void Thaw() => Volatile.Read(ref _thawed).TrySetResult();

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
        Thaw();
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

            if (!Volatile.Read(ref _thawed).Task.IsCompleted)
            {
                client.LingerState = new LingerOption(true, 0);
                client.Dispose();
                continue;
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

                // Held while frozen: delivered late, in order, as after a network that came back.
                await Volatile.Read(ref _thawed).Task.WaitAsync(_stop.Token);
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

    private static TcpRelay Listen(Socket listener, int port, IPEndPoint upstream)
    {
        listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
        listener.Listen(64);
        return new TcpRelay(listener, upstream);
    }

    private static TaskCompletionSource Thawed()
    {
        var thawed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        thawed.SetResult();
        return thawed;
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
