using System.Net.Sockets;
using System.Net;
using Foobar.LoadBalancer.Election.Endpoint;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace Foobar.LoadBalancer.Election.Listen;

/// <summary>
/// Makes and sees Kestrel's public listen sockets. Kestrel rebinds on a configuration reload in the background and
/// only logs a failure, so <see cref="ListenVirtualEndpoint"/> learns the outcome here: this wraps
/// <see cref="SocketTransportOptions.CreateBoundListenSocket"/> and reports, for the watched ports, the bound socket
/// or the exception (typically EADDRINUSE while another process holds the port). On Linux it creates those sockets
/// itself (<see cref="SharedListenSocket"/>): with SO_REUSEPORT, as <see cref="Acquisition"/> says, and keeps them
/// so that <see cref="HandOffAsync"/> can move new connections to the incoming leader and drain.
/// </summary>
internal sealed class ListenBindObserver
{
    private readonly Lock _gate = new();
    private readonly List<Socket> _sockets = [];
    private TaskCompletionSource<Exception?>? _pending;
    private HashSet<int> _waitingFor = [];
    private volatile EndpointAcquisition _acquisition;

    public HashSet<int> WatchedPorts { get; } = [];

    /// <summary>Set before a bind: whether the port must be free, may be shared in a handover, or is taken over.</summary>
    public EndpointAcquisition Acquisition
    {
        get => _acquisition;
        set => _acquisition = value;
    }

    /// <summary>Cancelled when the acquisition under way is no longer wanted: a bind after that is refused.</summary>
    public CancellationToken Abandoned { get; set; }

    /// <summary>Installs the hook, keeping whatever factory was configured before for every other port.</summary>
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
                Abandoned.ThrowIfCancellationRequested();
                var socket = SharedListenSocket.IsSupported
                    ? SharedListenSocket.Listen((IPEndPoint)endpoint, options.Backlog, _acquisition)
                    : inner(endpoint);
                lock (_gate)
                {
                    _sockets.RemoveAll(s => s.SafeHandle.IsClosed);
                    _sockets.Add(socket);
                }

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

    /// <summary>
    /// Before letting go while the new leader already listens on the same ports: steer new connections to it, then
    /// wait until Kestrel has accepted every connection already queued here (closing a listening socket resets them),
    /// quiet for a few milliseconds, at most <paramref name="timeout"/>. Returns how many were still queued at the end.
    /// </summary>
    public async Task<int> HandOffAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        Socket[] sockets;
        lock (_gate)
        {
            sockets = [.. _sockets.Where(s => !s.SafeHandle.IsClosed)];
        }

        if (!SharedListenSocket.IsSupported || sockets.Length == 0)
        {
            return 0;
        }

        foreach (var socket in sockets)
        {
            SharedListenSocket.SteerToIncoming(socket);
        }

        // A handshake that reached this socket just before the steering completes within microseconds on one host;
        // the quiet period covers it and Kestrel's accept loop.
        var quietFor = TimeSpan.FromMilliseconds(10);
        var started = time.GetTimestamp();
        long? quietSince = null;
        while (true)
        {
            var queued = sockets.Sum(SharedListenSocket.QueuedConnections);
            var now = time.GetTimestamp();
            if (queued > 0)
            {
                quietSince = null;
            }
            else
            {
                quietSince ??= now;
                if (time.GetElapsedTime(quietSince.Value, now) >= quietFor)
                {
                    return 0;
                }
            }

            if (time.GetElapsedTime(started, now) >= timeout)
            {
                return queued;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(2), time, cancellationToken);
        }
    }

    /// <summary>
    /// <c>address</c> mode's handover: while <paramref name="drop"/>, the public sockets drop new connections' SYNs
    /// silently (<see cref="SharedListenSocket.DropNewConnections"/>); the clients retry them at whoever has the address.
    /// </summary>
    public void DropNewConnections(bool drop)
    {
        Socket[] sockets;
        lock (_gate)
        {
            sockets = [.. _sockets.Where(s => !s.SafeHandle.IsClosed)];
        }

        foreach (var socket in sockets.Where(_ => SharedListenSocket.IsSupported))
        {
            _ = drop ? SharedListenSocket.DropNewConnections(socket) : SharedListenSocket.AcceptNewConnections(socket);
        }
    }

    /// <summary>After a release: Kestrel disposes the sockets it unbinds.</summary>
    public void Forget()
    {
        lock (_gate)
        {
            _sockets.Clear();
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
