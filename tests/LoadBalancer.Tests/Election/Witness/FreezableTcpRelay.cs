using System.Net;
using System.Net.Sockets;

namespace Foobar.LoadBalancer.Tests.Election.Witness;

/// <summary>
/// A loopback TCP port that relays to a server and can be frozen: while frozen, bytes on open connections are held (not
/// lost) until <see cref="Thaw"/>, and new connections are reset. A witness whose network stopped delivering in the
/// middle of an answer, as when its container leaves the network and comes back.
/// </summary>
internal sealed class FreezableTcpRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly EndPoint _upstream;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Socket> _open = [];
    private readonly Task _accepting;
    private TaskCompletionSource _thawed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public FreezableTcpRelay(EndPoint upstream)
    {
        _upstream = upstream;
        _thawed.SetResult();
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    private bool Frozen => !Volatile.Read(ref _thawed).Task.IsCompleted;

    public void Freeze() => Volatile.Write(ref _thawed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    public void Thaw() => Volatile.Read(ref _thawed).TrySetResult();

    public async ValueTask DisposeAsync()
    {
        Thaw();
        await _stop.CancelAsync();
        _listener.Stop();
        lock (_open)
        {
            _open.ForEach(s => s.Dispose());
        }

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
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            if (Frozen)
            {
                client.LingerState = new LingerOption(true, 0);
                client.Dispose();
                continue;
            }

            var upstream = new Socket(SocketType.Stream, ProtocolType.Tcp);
            Track(client);
            Track(upstream);
            try
            {
                await upstream.ConnectAsync(_upstream, _stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
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
                if (read == 0)
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
            // One side went away, or the relay is stopping.
        }

        from.Dispose();
        to.Dispose();
    }

    private void Track(Socket socket)
    {
        lock (_open)
        {
            _open.RemoveAll(s => s.SafeHandle.IsClosed);
            _open.Add(socket);
        }
    }
}
