using System.Net;
using System.Net.Sockets;

namespace Foobar.TestSupport;

/// <summary>
/// An upstream that accepts the connection, reads the request and closes without a byte of response: a server
/// that dies mid-request. The request reached it, so only requests safe to repeat may be re-sent elsewhere.
/// </summary>
public sealed class SilentUpstream : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _connections;

    public SilentUpstream()
    {
        _listener.Start();
        Url = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
        _loop = AcceptLoopAsync();
    }

    public string Url { get; }

    public int Connections => Volatile.Read(ref _connections);

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            Interlocked.Increment(ref _connections);
            _ = Task.Run(async () =>
            {
                using (socket)
                {
                    var buffer = new byte[8192];
                    try
                    {
                        // Read the request head (and whatever body came with it), then hang up.
                        await socket.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(5));
                    }
                    catch (Exception ex) when (ex is SocketException or TimeoutException)
                    {
                    }
                }
            });
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop;
        _stop.Dispose();
    }
}
