using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Foobar.LoadBalancer.Election.Endpoint;
using Foobar.LoadBalancer.Election.Peers;
using Foobar.LoadBalancer.Election.Protocol;
using Foobar.LoadBalancer.Election.Transport;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Foobar.LoadBalancer.Election;

/// <summary>
/// Runs the election over UDP unicast: binds <see cref="ElectionOptions.Bind"/>, sends every advertisement the
/// <see cref="VrrpStateMachine"/> asks for to each peer, feeds authenticated ones back to it, polls health once per
/// interval, and drives the <see cref="IVirtualEndpoint"/> from one worker (acquire on Master, release on Backup).
/// On graceful stop a Master sends priority 0 (RFC 5798 6.4.3). Whenever a Master gives the endpoint up to another
/// one (graceful stop, preemption, health demotion) it keeps serving until the new Master advertises that it holds
/// the endpoint (or <see cref="ElectionOptions.HandoverTimeout"/>), and the new Master may share the endpoint for that
/// moment, so there is no instant without a listener. Taking over from a silent Master never shares: the endpoint
/// must be free.
/// </summary>
internal sealed class ElectionService : BackgroundService, IHostedLifecycleService, ILeaderElection
{
    private static readonly TimeSpan PeerRefresh = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan FastRetry = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan SlowRetry = TimeSpan.FromMilliseconds(500);
    private const int PeerHistoryCapacity = 64;

    private readonly ElectionOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ElectionService> _logger;
    private readonly IVirtualEndpoint _endpoint;
    private readonly ElectionMetrics _metrics;
    private readonly IElectionHealthSource[] _healthSources;
    private readonly Channel<bool> _wanted = Channel.CreateUnbounded<bool>(new UnboundedChannelOptions { SingleReader = true });
    private readonly VrrpStateMachine _machine;
    private readonly ulong _epoch;
    private readonly Lock _healthGate = new();
    private readonly string?[] _lastSendError;
    private readonly EndPoint?[] _peerEndPoints;
    private readonly Lock _peerGate = new();
    private readonly Queue<PeerTransition> _peerHistory = new();
    private readonly Dictionary<string, string> _peerViews = new(StringComparer.Ordinal);
    private AdvertisementCodec? _codec;
    private PacketFilter? _filter;
    private Socket? _socket;
    private long _sequence;
    private volatile string? _endpointProblem;
    private volatile bool _isLeader;
    private volatile bool _held;
    private volatile bool _lastReleaseWasHandover;
    private bool _lastHealthy = true;
    private string? _lastHealthReason;
    private long? _sharedSince;

    public ElectionService(
        IOptions<ElectionOptions> options,
        TimeProvider time,
        ILogger<ElectionService> logger,
        IVirtualEndpoint endpoint,
        ElectionMetrics metrics,
        IEnumerable<IElectionHealthSource> healthSources)
    {
        _options = options.Value;
        _time = time;
        _logger = logger;
        _endpoint = endpoint;
        _metrics = metrics;
        _healthSources = [.. healthSources];
        _epoch = ReplayGuard.NewEpoch(time);
        _peerEndPoints = new EndPoint?[_options.Peers.Count];
        _lastSendError = new string?[_options.Peers.Count];
        _machine = new VrrpStateMachine(VrrpSettings.From(_options), time);
        _machine.SendAdvertisement += OnSendAdvertisement;
        _machine.StateChanged += OnStateChanged;
        _metrics.Observe(GetSnapshot);
    }

    public bool IsLeader => _isLeader;

    public ElectionSnapshot GetSnapshot()
    {
        var snapshot = _machine.GetSnapshot();
        if (!_options.Enabled)
        {
            snapshot = snapshot with { State = _isLeader ? VrrpState.Master : VrrpState.Initialize };
        }

        PeerTransition[] peerHistory;
        lock (_peerGate)
        {
            peerHistory = [.. _peerHistory];
        }

        snapshot = snapshot with { HoldsEndpoint = _held, PeerHistory = peerHistory };
        var filter = _filter;
        return filter is null
            ? snapshot
            : snapshot with
            {
                DroppedPackets = Enum.GetValues<PacketDropReason>().ToDictionary(ElectionMetrics.Tag, filter.DroppedCount),
            };
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.Enabled)
        {
            // Bind before the host reports started, so a taken port stops the process with a clear error.
            _codec = new AdvertisementCodec(_options.GetKeyBytes()!);
            _filter = new PacketFilter(_codec, (byte)_options.GroupId, _options.NodeName!);
            var bind = IPEndPoint.Parse(_options.Bind);
            _socket = new Socket(bind.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            _socket.Bind(bind);
            await ResolvePeersAsync(cancellationToken);
            _logger.Started(_options.NodeName!, _socket.LocalEndPoint!.ToString()!, _options.GroupId, _options.Priority, _options.AdvertisementInterval, string.Join(", ", _options.Peers));
        }

        await base.StartAsync(cancellationToken);
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// The handover on graceful stop. It must happen here, not in <see cref="StopAsync"/>: WebApplication registers
    /// Kestrel's hosted service after every other one, so Kestrel's StopAsync runs first and would close the public
    /// listeners before a new Master holds them; every hosted service's StoppingAsync runs before any StopAsync.
    /// </summary>
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var wasMaster = _options.Enabled && _machine.State == VrrpState.Master;
        _machine.Shutdown();
        if (wasMaster)
        {
            // UDP may lose the one priority-0 packet; a second copy (new sequence number) costs nothing.
            OnSendAdvertisement(0, VrrpState.Master);
        }

        // The endpoint worker keeps the endpoint until a new Master holds it (at most HandoverTimeout), then drains.
        _wanted.Writer.TryWrite(false);
        var deadline = _time.GetUtcNow() + _options.HandoverTimeout + TimeSpan.FromSeconds(3);
        while (_held && _time.GetUtcNow() < deadline && !cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(5), _time, CancellationToken.None);
        }

        if (wasMaster)
        {
            _logger.HandedOver(_lastReleaseWasHandover ? "a peer took the endpoint over" : "no peer took over", watch.Elapsed.TotalMilliseconds);
        }
    }

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Normally done in StoppingAsync already; a host that never called it (or a test stopping only this service)
        // still hands over.
        if (_machine.State != VrrpState.Initialize || _held)
        {
            await StoppingAsync(cancellationToken);
        }

        await base.StopAsync(cancellationToken);
        _socket?.Dispose();
    }

    public override void Dispose()
    {
        _machine.Dispose();
        _socket?.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var endpointWorker = RunEndpointAsync(stoppingToken);
        if (!_options.Enabled)
        {
            _logger.Disabled();
            _isLeader = true;
            _wanted.Writer.TryWrite(true);
            await endpointWorker;
            return;
        }

        var receiver = Task.Factory.StartNew(() => ReceiveLoopAsync(stoppingToken), stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        _machine.Start();
        await Task.WhenAll(receiver, endpointWorker, RunHealthAsync(stoppingToken));
    }

    private async Task ReceiveLoopAsync(CancellationToken cancellationToken)
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
                _machine.ReceiveAdvertisement(advertisement!);
                ObservePeer(advertisement!);
            }
            else
            {
                _metrics.Dropped(reason);
                _logger.Dropped(received.RemoteEndPoint.ToString() ?? "?", reason);
            }
        }
    }

    private async Task RunHealthAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.AdvertisementInterval, _time);
        var lastResolve = _time.GetUtcNow();
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                ObserveSilentPeers();
                CheckSharedEndpoint();
                UpdateHealth();
                if (_time.GetUtcNow() - lastResolve >= PeerRefresh)
                {
                    lastResolve = _time.GetUtcNow();
                    await ResolvePeersAsync(cancellationToken);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private void UpdateHealth()
    {
        var reason = _endpointProblem;
        if (reason is null)
        {
            foreach (var source in _healthSources)
            {
                try
                {
                    if (!source.IsHealthy(out var why))
                    {
                        reason = why ?? "unhealthy";
                        break;
                    }
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    reason = $"health source failed: {ex.Message}";
                    break;
                }
            }
        }

        lock (_healthGate)
        {
            var healthy = reason is null;
            if (healthy == _lastHealthy && reason == _lastHealthReason)
            {
                return;
            }

            _lastHealthy = healthy;
            _lastHealthReason = reason;
            _machine.SetHealth(healthy, reason);
            _logger.HealthChanged(healthy, reason, _machine.EffectivePriority);
        }
    }

    /// <summary>
    /// The only caller of <see cref="IVirtualEndpoint"/>. A failed acquire is retried every 50 ms; only after
    /// <see cref="ElectionOptions.BindGracePeriod"/> does it count as unhealthy, because the endpoint may still be held
    /// by a Master that went silent but is not dead. That problem stays until this node next holds the endpoint:
    /// clearing it on stepping down would raise the priority again, preempt, fail again: a flap.
    /// </summary>
    private async Task RunEndpointAsync(CancellationToken cancellationToken)
    {
        var want = false;
        DateTimeOffset? failingSince = null;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                while (_wanted.Reader.TryRead(out var value))
                {
                    want = value;
                }

                if (want && !_held)
                {
                    var watch = Stopwatch.StartNew();
                    var handover = IsPlannedHandover();
                    try
                    {
                        await _endpoint.AcquireAsync(handover, cancellationToken);
                        _held = true;
                        _sharedSince = handover ? _time.GetTimestamp() : null;
                        failingSince = null;
                        _logger.EndpointChanged(handover ? "acquired (handover)" : "acquired", watch.Elapsed.TotalMilliseconds);
                        if (_endpointProblem is not null)
                        {
                            _endpointProblem = null;
                            UpdateHealth();
                        }

                        // Tell the outgoing Master now rather than at the next interval: it lets go once it hears this.
                        if (_machine.State == VrrpState.Master)
                        {
                            OnSendAdvertisement(_machine.EffectivePriority, VrrpState.Master);
                        }
                    }
                    catch (VirtualEndpointUnavailableException ex)
                    {
                        var now = _time.GetUtcNow();
                        if (failingSince is null)
                        {
                            failingSince = now;
                            _logger.AcquireFailed(ex.Message);
                        }

                        var failingFor = now - failingSince.Value;
                        if (failingFor >= _options.BindGracePeriod && _endpointProblem is null)
                        {
                            _endpointProblem = $"cannot bind the virtual endpoint: {ex.Message}";
                            UpdateHealth();
                        }

                        var retry = Task.Delay(failingFor < _options.BindGracePeriod ? FastRetry : SlowRetry, _time, cancellationToken);
                        await Task.WhenAny(retry, _wanted.Reader.WaitToReadAsync(cancellationToken).AsTask());
                        continue;
                    }
                }
                else if (!want && _held)
                {
                    // Keep serving until the new Master holds the endpoint, unless this node is wanted back meanwhile.
                    var handover = await WaitForPeerToHoldAsync(cancellationToken);
                    if (handover is null)
                    {
                        continue;
                    }

                    var watch = Stopwatch.StartNew();
                    try
                    {
                        await _endpoint.ReleaseAsync(handover.Value, cancellationToken);
                        _logger.EndpointChanged(handover.Value ? "released (handover)" : "released", watch.Elapsed.TotalMilliseconds);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        _logger.ReleaseFailed(ex);
                    }

                    _lastReleaseWasHandover = handover.Value;
                    _sharedSince = null;
                    _held = false;
                }
                else if (!want)
                {
                    failingSince = null;
                }

                await _wanted.Reader.WaitToReadAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping; StopAsync has already released the endpoint.
        }
    }

    /// <summary>
    /// A planned handover: a Master was heard within the last two of its intervals, so it is alive and is either
    /// leaving (priority 0, heard Skew_Time ago) or stepping down for this node (preemption, health). Taking over from a
    /// Master that went silent (nothing for a whole Master_Down_Interval, at least three intervals) is not one: then
    /// the endpoint must be free, and a Master that is only stalled keeps it (the fence).
    /// </summary>
    private bool IsPlannedHandover()
    {
        var now = _time.GetUtcNow();
        return _machine.GetSnapshot().Peers.Any(p => p.State == VrrpState.Master && now - p.HeardAt < 2 * p.AdvertisementInterval);
    }

    /// <summary>
    /// After stepping down or on shutdown: waits until a peer advertises Master and that it holds the endpoint (true),
    /// up to <see cref="ElectionOptions.HandoverTimeout"/> (false); null when this node is wanted as Master again.
    /// </summary>
    private async Task<bool?> WaitForPeerToHoldAsync(CancellationToken cancellationToken)
    {
        var deadline = _time.GetUtcNow() + _options.HandoverTimeout;
        while (true)
        {
            if (_wanted.Reader.TryPeek(out var wanted) && wanted)
            {
                return null;
            }

            var snapshot = _machine.GetSnapshot();
            var now = _time.GetUtcNow();
            if (snapshot.Peers.Any(p => p.State == VrrpState.Master && p.Priority > 0 && p.HoldsEndpoint && now - p.HeardAt < snapshot.MasterDownInterval))
            {
                return true;
            }

            if (now >= deadline || !_options.Enabled)
            {
                return false;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(2), _time, cancellationToken);
        }
    }

    /// <summary>
    /// The bound on sharing: a node that took the endpoint in a handover and still hears the old Master advertise that
    /// it holds it well after HandoverTimeout (the old Master does not hear this node, e.g. one-way loss) counts that
    /// as an endpoint problem, lowers its priority and so yields: two owners never last.
    /// </summary>
    private void CheckSharedEndpoint()
    {
        if (_sharedSince is not { } since || !_held)
        {
            return;
        }

        var snapshot = _machine.GetSnapshot();
        var now = _time.GetUtcNow();
        var holder = snapshot.Peers.FirstOrDefault(p => p.HoldsEndpoint && now - p.HeardAt < snapshot.MasterDownInterval);
        if (holder is null)
        {
            _sharedSince = null;
            return;
        }

        var elapsed = _time.GetElapsedTime(since);
        if (elapsed > _options.HandoverTimeout + TimeSpan.FromSeconds(1) && _endpointProblem is null)
        {
            _logger.StillShared(holder.Node, elapsed.TotalMilliseconds);
            _endpointProblem = $"peer {holder.Node} still holds the virtual endpoint after a handover";
            _sharedSince = null;
        }
    }

    private void ObservePeer(Advertisement advertisement)
    {
        var view = advertisement.Priority == 0 ? "Leaving" : advertisement.State.ToString();
        var reason = advertisement.Priority == 0
            ? "advertised priority 0: leaving"
            : $"advertised {advertisement.State} at priority {advertisement.Priority}/{advertisement.ConfiguredPriority}" + (advertisement.HoldsEndpoint ? ", holding the endpoint" : "");
        RecordPeerView(advertisement.Node, view, reason);
    }

    private void ObserveSilentPeers()
    {
        var now = _time.GetUtcNow();
        foreach (var peer in _machine.GetSnapshot().Peers)
        {
            var silentAfter = peer.MasterDownInterval;
            if (now - peer.HeardAt > silentAfter)
            {
                RecordPeerView(peer.Node, "Silent", $"nothing heard for {(now - peer.HeardAt).TotalMilliseconds:0} ms (> {silentAfter.TotalMilliseconds:0} ms)");
            }
        }
    }

    private void RecordPeerView(string node, string view, string reason)
    {
        string from;
        lock (_peerGate)
        {
            from = _peerViews.GetValueOrDefault(node, "Unknown");
            if (from == view)
            {
                return;
            }

            _peerViews[node] = view;
            _peerHistory.Enqueue(new PeerTransition(_time.GetUtcNow(), node, from, view, reason));
            while (_peerHistory.Count > PeerHistoryCapacity)
            {
                _peerHistory.Dequeue();
            }
        }

        _logger.PeerTransition(node, from, view, reason);
    }

    private void OnSendAdvertisement(byte priority, VrrpState state)
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
            _held));
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
                // Log once per kind of failure, not every interval.
                if (_lastSendError[i] != ex.Message)
                {
                    _lastSendError[i] = ex.Message;
                    _logger.SendFailed(_options.Peers[i], ex.Message);
                }
            }
        }
    }

    private void OnStateChanged(VrrpTransition transition)
    {
        _isLeader = transition.To == VrrpState.Master;
        _logger.Transition(_options.NodeName!, transition.From, transition.To, transition.Reason, _machine.EffectivePriority);
        _metrics.Transition(transition.From, transition.To);
        if (transition.To == VrrpState.Master)
        {
            _wanted.Writer.TryWrite(true);
        }
        else if (transition.From == VrrpState.Master && transition.To == VrrpState.Backup)
        {
            _wanted.Writer.TryWrite(false);
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
                if (_lastSendError[i] != ex.Message)
                {
                    _lastSendError[i] = ex.Message;
                    _logger.SendFailed(_options.Peers[i], ex.Message);
                }
            }
        }
    }
}
