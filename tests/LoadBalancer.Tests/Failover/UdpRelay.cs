using System.Net;
using System.Net.Sockets;

namespace Foobar.LoadBalancer.Tests.Failover;

/// <summary>
/// A real UDP hop in front of one node's election port: each peer sends its advertisements here and this forwards them,
/// until <see cref="Cut"/> is set, which drops them: a partition of the election traffic alone (both nodes still reach
/// the clients and the web servers), without root and without touching the host's firewall.
/// </summary>
internal sealed class UdpRelay : IAsyncDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private volatile bool _cut;

    public UdpRelay(int port, int targetPort)
    {
        Port = port;
        _target = new IPEndPoint(IPAddress.Loopback, targetPort);
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
        _loop = Task.Run(RunAsync);
    }

    public int Port { get; }

    /// <summary>True: datagrams are dropped.</summary>
    public bool Cut
    {
        get => _cut;
        set => _cut = value;
    }

    public long Dropped { get; private set; }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Dispose();
        try
        {
            await _loop;
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // Stopping.
        }

        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        var buffer = new byte[2048];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token);
            }
            catch (SocketException)
            {
                continue;
            }

            if (_cut)
            {
                Dropped++;
                continue;
            }

            try
            {
                await _socket.SendToAsync(buffer.AsMemory(0, received.ReceivedBytes), SocketFlags.None, _target, _stop.Token);
            }
            catch (SocketException)
            {
                // The node is down; a real network would drop it too.
            }
        }
    }
}
