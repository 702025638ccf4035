using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
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
/// moment, so there is no instant without a listener. Taking over from a Master that went silent (kill -9, SIGSTOP, a
/// partition) takes the endpoint whether or not the silent one still holds it, under a higher fencing term
/// (<see cref="EndpointTerm"/>), and moves all new work to this node; the silent one gives up as soon as it hears that
/// term, or on its own when <see cref="StallWatchdog"/> finds it was frozen for longer than a Backup waits.
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
    private readonly EndpointTerm _term;
    private readonly StallWatchdog _watchdog;
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
        _term = new EndpointTerm(time, _options.NodeName ?? "node");
        _watchdog = new StallWatchdog(TimeSpan.FromMilliseconds(10), 2 * _options.AdvertisementInterval, OnStalled);
        _metrics.Observe(GetSnapshot);
    }

    public event EventHandler<LeadershipChangedEventArgs>? LeadershipChanged;

    public bool IsLeader => _isLeader;

    /// <summary>The bound UDP address (useful when <see cref="ElectionOptions.Bind"/> asked for port 0).</summary>
    public IPEndPoint? LocalEndPoint => _socket?.LocalEndPoint as IPEndPoint;

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

        snapshot = snapshot with { HoldsEndpoint = _held, PeerHistory = peerHistory, Term = _term.Own };
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
        _watchdog.Dispose();
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

        _watchdog.Start();
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
                if (FenceByTerm(advertisement!))
                {
                    _machine.ReceiveAdvertisement(advertisement!);
                }
                else
                {
                    _machine.RecordOnly(advertisement!);
                }

                ObservePeer(advertisement!);
            }
            else
            {
                _metrics.Dropped(reason);
                _logger.Dropped(received.RemoteEndPoint.ToString() ?? "?", reason);
            }
        }
    }

    /// <summary>
    /// Two Masters that both hold the endpoint: the one with the older fencing term was silent while the other took
    /// over, so the newer one owns it. Returns false when the advertisement must not reach the state machine: an older
    /// holder, whatever its priority, must not make this node step down (it would hand the endpoint back to a node
    /// whose socket no longer gets new connections); this node answers at once so the older holder hears the newer
    /// term. A newer holder makes this node step down at once, before it could act on anything else.
    /// </summary>
    private bool FenceByTerm(Advertisement advertisement)
    {
        _term.Observe(advertisement.Term);
        if (_machine.State != VrrpState.Master)
        {
            return true;
        }

        switch (_term.Judge(advertisement))
        {
            case TermVerdict.Older:
                OnSendAdvertisement(_machine.EffectivePriority, VrrpState.Master);
                return false;
            case TermVerdict.Newer:
                _machine.StepDown($"{advertisement.Node} took the endpoint over under a newer fencing term ({advertisement.Term} > {_term.Own}) while this node was not heard");
                return true;
            default:
                return true;
        }
    }

    /// <summary>
    /// Self-fencing after a freeze: a Master that did not run for longer than the quickest Backup's Master_Down_Interval
    /// (three of its intervals plus that Backup's Skew_Time) has been replaced if that Backup is alive and hears it, so
    /// it steps down before acting on its stale view. If nobody took over it keeps serving meanwhile (a Master only
    /// lets go once another holds the endpoint) and becomes Master again one Master_Down_Interval later. A shorter
    /// freeze that a Backup still used (it took over up to one interval sooner) is settled by the fencing term as soon
    /// as either hears the other; a lower limit would step down on ordinary scheduling delays on a loaded machine.
    /// </summary>
    private void OnStalled(TimeSpan gap)
    {
        var snapshot = _machine.GetSnapshot();
        var quickestSkew = snapshot.Peers.Count == 0
            ? TimeSpan.Zero
            : snapshot.Peers.Min(p => (256 - Math.Clamp((int)p.ConfiguredPriority, 1, 255)) * _options.AdvertisementInterval / 256);
        var limit = (3 * _options.AdvertisementInterval) + quickestSkew;
        var stepDown = snapshot.State == VrrpState.Master && gap > limit && _options.Peers.Count > 0;
        _logger.Stalled(stepDown ? LogLevel.Warning : LogLevel.Information, gap.TotalMilliseconds, snapshot.State, limit.TotalMilliseconds);
        if (stepDown)
        {
            _machine.StepDown($"this process was stalled for {gap.TotalMilliseconds:0} ms, longer than a backup waits ({limit.TotalMilliseconds:0} ms): it may have been replaced");
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
                    var how = ChooseAcquisition();
                    var term = _term.Begin();
                    try
                    {
                        await _endpoint.AcquireAsync(how, cancellationToken);
                        _held = true;
                        _sharedSince = how == EndpointAcquisition.Handover ? _time.GetTimestamp() : null;
                        failingSince = null;
                        _logger.EndpointChanged($"acquired ({how.ToString().ToLowerInvariant()}, term {term})", watch.Elapsed.TotalMilliseconds);
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
                    _term.End();
                }
                else if (!want)
                {
                    failingSince = null;
                    _term.End();
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
    /// A planned handover: a Master or a holder of the endpoint was heard within the last two of its intervals, so it is
    /// alive and is leaving (priority 0, heard Skew_Time ago), stepping down for this node (preemption, health), or has
    /// stepped down already and waits for this node to hold the endpoint. A takeover: the last thing heard from some
    /// peer was that it was Master or held the endpoint, and it has been silent since (a whole Master_Down_Interval,
    /// at least three intervals): it may be dead, frozen or cut off, and still hold the endpoint. Exclusive: nobody was
    /// ever heard holding it, so it must be free (a third node with the wrong key is refused here).
    /// </summary>
    private EndpointAcquisition ChooseAcquisition()
    {
        var now = _time.GetUtcNow();
        var holders = _machine.GetSnapshot().Peers.Where(p => p.State == VrrpState.Master || p.HoldsEndpoint).ToList();
        if (holders.Any(p => now - p.HeardAt < 2 * p.AdvertisementInterval))
        {
            return EndpointAcquisition.Handover;
        }

        return holders.Count > 0 ? EndpointAcquisition.Takeover : EndpointAcquisition.Exclusive;
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
            // The peer's own Master_Down_Interval (RFC 9568 6.1), from its interval and priority.
            var silentAfter = (3 * peer.AdvertisementInterval) + ((256 - Math.Max((int)peer.Priority, 1)) * peer.AdvertisementInterval / 256);
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
            _held,
            _term.Own));
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

        // Shutdown (-> Initialize) keeps the endpoint: StopAsync releases it once a peer has taken over.
        LeadershipChanged?.Invoke(this, new LeadershipChangedEventArgs(transition));
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
