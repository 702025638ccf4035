using System.Net;
using System.Net.Sockets;
using Foobar.LoadBalancer.Election.Protocol;
using Microsoft.Extensions.Logging;

namespace Foobar.LoadBalancer.Election.Transport;

/// <summary>
/// The election's UDP unicast: binds <see cref="ElectionOptions.Bind"/>, signs each advertisement and sends it to every
/// peer, authenticates and filters what arrives (<see cref="PacketFilter"/>) and hands the rest on. Peer names are
/// re-resolved every 5 s, so a peer container that comes up later (or moves) is found. Knows nothing of states.
/// </summary>
internal sealed partial class ElectionTransport : IDisposable
{
    private static readonly TimeSpan PeerRefresh = TimeSpan.FromSeconds(5);

    private readonly ElectionOptions _options;
    private readonly TimeProvider _time;
    private readonly ElectionMetrics _metrics;
    private readonly ILogger<ElectionTransport> _logger;
    private readonly ulong _epoch;
    private readonly EndPoint?[] _peerEndPoints;
    private readonly string?[] _lastSendError;
    private AdvertisementCodec? _codec;
    private PacketFilter? _filter;
    private Socket? _socket;
    private long _sequence;

    public ElectionTransport(ElectionOptions options, TimeProvider time, ElectionMetrics metrics, ILogger<ElectionTransport> logger)
    {
        _options = options;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _epoch = ReplayGuard.NewEpoch(time);
        _peerEndPoints = new EndPoint?[options.Peers.Count];
        _lastSendError = new string?[options.Peers.Count];
    }

    /// <summary>Dropped datagrams by metric tag; empty before <see cref="OpenAsync"/>.</summary>
    public IReadOnlyDictionary<string, long> DroppedPackets => _filter is { } filter
        ? Enum.GetValues<PacketDropReason>().ToDictionary(ElectionMetrics.Tag, filter.DroppedCount)
        : new Dictionary<string, long>();

    /// <summary>Binds and resolves the peers; a taken port throws here, so the process stops with a clear error.</summary>
    public async Task OpenAsync(CancellationToken cancellationToken)
    {
        _codec = new AdvertisementCodec(_options.GetKeyBytes()!);
        _filter = new PacketFilter(_codec, (byte)_options.GroupId, _options.NodeName!);
        var bind = IPEndPoint.Parse(_options.Bind);
        _socket = new Socket(bind.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(bind);
        await ResolvePeersAsync(cancellationToken);
        Log.Started(_logger, _options.NodeName!, _socket.LocalEndPoint!.ToString()!, _options.GroupId, _options.Priority, _options.AdvertisementInterval, string.Join(", ", _options.Peers));
    }

    /// <summary>Receives until stopped, giving every accepted advertisement to <paramref name="accepted"/>; refreshes peer addresses meanwhile.</summary>
    public Task RunAsync(Action<Advertisement> accepted, CancellationToken cancellationToken)
    {
        var receiver = Task.Factory.StartNew(() => ReceiveLoopAsync(accepted, cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        return Task.WhenAll(receiver, RefreshPeersAsync(cancellationToken));
    }

    /// <summary>Sends one advertisement to every peer with a known address; a failure is logged once per kind, not every interval.</summary>
    public void Send(byte priority, VrrpState state, bool holdsEndpoint, ulong term)
    {
        var socket = _socket;
        var codec = _codec;
        if (socket is null || codec is null)
        {
            return;
        }

        var packet = codec.Encode(new Advertisement(
            (byte)_options.GroupId,
            _options.NodeName!,
            priority,
            _options.AdvertisementInterval,
            state,
            _epoch,
            (ulong)Interlocked.Increment(ref _sequence),
            (byte)_options.Priority,
            holdsEndpoint,
            term));
        for (var i = 0; i < _peerEndPoints.Length; i++)
        {
            if (_peerEndPoints[i] is not { } peer)
            {
                continue;
            }

            try
            {
                socket.SendTo(packet, peer);
                _lastSendError[i] = null;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex)
            {
                ReportSendFailure(i, ex);
            }
        }
    }

    public void Dispose() => _socket?.Dispose();

    private async Task ReceiveLoopAsync(Action<Advertisement> accepted, CancellationToken cancellationToken)
    {
        var buffer = new byte[2048];
        EndPoint any = new IPEndPoint(_socket!.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!cancellationToken.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                // An ICMP error reported on the socket (peer port closed); nothing to do with this datagram.
                continue;
            }

            if (_filter!.TryAccept(buffer.AsSpan(0, received.ReceivedBytes), out var advertisement, out var reason))
            {
                _metrics.Accepted();
                accepted(advertisement!);
            }
            else
            {
                _metrics.Dropped(reason);
                Log.Dropped(_logger, received.RemoteEndPoint.ToString() ?? "?", reason);
            }
        }
    }

    private async Task RefreshPeersAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(PeerRefresh, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                await ResolvePeersAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private async Task ResolvePeersAsync(CancellationToken cancellationToken)
    {
        var family = _socket?.AddressFamily ?? AddressFamily.InterNetwork;
        for (var i = 0; i < _options.Peers.Count; i++)
        {
            if (!ElectionOptionsValidator.TryParsePeer(_options.Peers[i], out var host, out var port))
            {
                continue;
            }

            if (IPAddress.TryParse(host, out var ip))
            {
                _peerEndPoints[i] = new IPEndPoint(ip, port);
                continue;
            }

            try
            {
                var addresses = await Dns.GetHostAddressesAsync(host, family, cancellationToken);
                if (addresses.Length > 0)
                {
                    _peerEndPoints[i] = new IPEndPoint(addresses[0], port);
                }
            }
            catch (SocketException ex)
            {
                // Keep the last good address; a peer container may simply not be up yet.
                ReportSendFailure(i, ex);
            }
        }
    }

    private void ReportSendFailure(int peer, SocketException ex)
    {
        if (_lastSendError[peer] != ex.Message)
        {
            _lastSendError[peer] = ex.Message;
            Log.SendFailed(_logger, _options.Peers[peer], ex.Message);
        }
    }
}
