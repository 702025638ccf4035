using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace Foobar.LoadBalancer.Election;

/// <summary>
/// Sees Kestrel bind the public ports. Kestrel rebinds on a configuration reload in the background and only logs a
/// failure, so <see cref="ListenVirtualEndpoint"/> learns the outcome here: this wraps
/// <see cref="SocketTransportOptions.CreateBoundListenSocket"/> and reports, for the watched ports, the bound socket
/// or the exception (typically EADDRINUSE while the old leader still holds the port).
/// </summary>
internal sealed class ListenBindObserver
{
    private readonly Lock _gate = new();
    private TaskCompletionSource<Exception?>? _pending;
    private HashSet<int> _waitingFor = [];

    public HashSet<int> WatchedPorts { get; } = [];

    /// <summary>Installs the hook, keeping whatever factory was configured before.</summary>
    public void Install(SocketTransportOptions options)
    {
        var inner = options.CreateBoundListenSocket;
        options.CreateBoundListenSocket = endpoint =>
        {
            var port = (endpoint as IPEndPoint)?.Port ?? -1;
            if (!WatchedPorts.Contains(port))
            {
                return inner(endpoint);
            }

            try
            {
                var socket = inner(endpoint);
                Report(port, null);
                return socket;
            }
            catch (Exception ex)
            {
                Report(port, ex);
                throw;
            }
        };
    }

    /// <summary>Completes with null once every watched port bound, or with the first failure.</summary>
    public Task<Exception?> Expect()
    {
        lock (_gate)
        {
            _pending?.TrySetResult(new OperationCanceledException("superseded"));
            _pending = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waitingFor = [.. WatchedPorts];
            return _pending.Task;
        }
    }

    private void Report(int port, Exception? failure)
    {
        lock (_gate)
        {
            if (_pending is null)
            {
                return;
            }

            if (failure is not null)
            {
                _pending.TrySetResult(failure);
                _pending = null;
                return;
            }

            // "localhost" binds 127.0.0.1 and [::1] on the same port; one success per port is enough.
            _waitingFor.Remove(port);
            if (_waitingFor.Count == 0)
            {
                _pending.TrySetResult(null);
                _pending = null;
            }
        }
    }

    internal static bool IsAddressInUse(Exception exception) =>
        exception is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse }
        || exception.InnerException is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse };
}
