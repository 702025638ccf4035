using Foobar.LoadBalancer.Election.Transport;

namespace Foobar.LoadBalancer.Election.Protocol;

/// <summary>
/// The VRRPv3 state machine of RFC 5798 section 6.4 with the timer formulas of RFC 9568 section 6.1, free of I/O:
/// inputs are <see cref="Start"/>, <see cref="Shutdown"/>, <see cref="ReceiveAdvertisement"/> (already authenticated)
/// and <see cref="SetHealth"/>; outputs are the <see cref="SendAdvertisement"/> and <see cref="StateChanged"/> events.
/// Time comes from the injected <see cref="TimeProvider"/>. Events are raised under the machine's lock, after the
/// state is updated, so handlers see transitions in order; they must be quick and must not call back in.
/// <para>
/// Deviations from the RFC, all deliberate: ties between equal priorities go to the greater node name (the RFC uses
/// the greater primary IP address, 6.4.3); a Backup also announces itself every interval with its state set to
/// Backup, which peers record for visibility but never feed into the election (in VRRP only the Master sends); a
/// Master that hears a lower priority Master answers at once (as keepalived does) instead of waiting for its timer;
/// health tracking lowers the effective priority (keepalived's track_script weight) and a Master whose priority
/// changes advertises the new value at once.
/// </para>
/// </summary>
internal sealed class VrrpStateMachine : IDisposable
{
    private readonly VrrpSettings _settings;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly Queue<VrrpTransition> _history = new();
    private readonly Dictionary<string, PeerAdvertisement> _peers = new(StringComparer.Ordinal);
    private readonly Func<string?>? _preemptBlocker;

    private VrrpState _state = VrrpState.Initialize;
    private TimeSpan _masterAdverInterval;
    private bool _healthy = true;
    private string? _healthReason;
    private DateTimeOffset? _preemptAllowedAt;
    /// <summary>The lower-priority Master last deferred to because this node was not ready to take the endpoint.</summary>
    private string? _deferredTo;
    private string _downReason = "";
    private ITimer? _downTimer;
    private ITimer? _adverTimer;
    private long _downGeneration;
    private long _adverGeneration;
    private bool _disposed;

    /// <param name="settings">Priority, interval, preemption.</param>
    /// <param name="time">The clock of both timers.</param>
    /// <param name="preemptBlocker">
    /// Why this node could not take the endpoint at once if it preempted now (null when it could). While it says so, a
    /// lower-priority Master is deferred to as if preemption were off (PreemptDelay counts from when it stops), and
    /// that Master's silence does not make this node Master before it is ready. Called under the machine's lock when a
    /// lower-priority Master is heard or its silence runs the timer out: it must be quick and must not call back in.
    /// </param>
    public VrrpStateMachine(VrrpSettings settings, TimeProvider time, Func<string?>? preemptBlocker = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(time);
        if (settings.Priority == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(settings), "Priority 0 is reserved for 'leaving' (RFC 5798 5.2.4).");
        }

        _settings = settings;
        _time = time;
        _preemptBlocker = preemptBlocker;
        _masterAdverInterval = settings.AdvertisementInterval;
    }

    /// <summary>Send an advertisement now with this priority and sender state (to every peer).</summary>
    public event Action<byte, VrrpState>? SendAdvertisement;

    public event Action<VrrpTransition>? StateChanged;

    public string NodeName => _settings.NodeName;

    public VrrpState State
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    public byte ConfiguredPriority => _settings.Priority;

    /// <summary>Configured priority, minus the penalty while unhealthy, never below 1 (0 means "leaving").</summary>
    public byte EffectivePriority
    {
        get
        {
            lock (_gate)
            {
                return Effective();
            }
        }
    }

    /// <summary>RFC 9568 6.1: Skew_Time = ((256 - Priority) * Master_Adver_Interval) / 256.</summary>
    public TimeSpan SkewTime
    {
        get
        {
            lock (_gate)
            {
                return Skew();
            }
        }
    }

    /// <summary>RFC 9568 6.1: Master_Down_Interval = (3 * Master_Adver_Interval) + Skew_Time.</summary>
    public TimeSpan MasterDownInterval
    {
        get
        {
            lock (_gate)
            {
                return DownInterval();
            }
        }
    }

    /// <summary>RFC 5798 6.4.1: the address owner (255) becomes Master at once, anyone else Backup.</summary>
    public void Start()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_state != VrrpState.Initialize)
            {
                return;
            }

            _preemptAllowedAt = null;
            _deferredTo = null;
            _peers.Clear();
            if (_settings.Priority == 255)
            {
                Send(Effective(), VrrpState.Master);
                ArmAdverTimer();
                Transition(VrrpState.Master, "started as address owner (priority 255)");
                return;
            }

            _masterAdverInterval = _settings.AdvertisementInterval;
            ArmDownTimer(DownInterval(), "no master heard within Master_Down_Interval after start");
            ArmAdverTimer();
            Transition(VrrpState.Backup, "started");
        }
    }

    /// <summary>RFC 5798 6.4.2/6.4.3 Shutdown: a Master sends priority 0 so that a Backup takes over after Skew_Time.</summary>
    public void Shutdown()
    {
        lock (_gate)
        {
            if (_state == VrrpState.Initialize)
            {
                return;
            }

            CancelTimers();
            if (_state == VrrpState.Master)
            {
                Send(0, VrrpState.Master);
            }

            Transition(VrrpState.Initialize, "shutdown");
        }
    }

    public void ReceiveAdvertisement(Advertisement advertisement)
    {
        ArgumentNullException.ThrowIfNull(advertisement);
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            var now = _time.GetUtcNow();
            RecordPeer(advertisement, now);

            // Only a Master's advertisements take part in the election (a Backup's announcement is for visibility).
            if (advertisement.State != VrrpState.Master)
            {
                return;
            }

            switch (_state)
            {
                case VrrpState.Backup:
                    OnBackupReceived(advertisement, now);
                    break;
                case VrrpState.Master:
                    OnMasterReceived(advertisement);
                    break;
                default:
                    // RFC 5798 6.4.1: Initialize only waits for Startup.
                    break;
            }
        }
    }

    /// <summary>
    /// Records what a peer advertised (the admin view, handover checks) without letting it take part in the election:
    /// the advertisement of a Master whose hold of the endpoint is older than this node's (<see cref="EndpointTerm"/>),
    /// which must not make this node step down, whatever its priority.
    /// </summary>
    public void RecordOnly(Advertisement advertisement)
    {
        ArgumentNullException.ThrowIfNull(advertisement);
        lock (_gate)
        {
            if (!_disposed)
            {
                RecordPeer(advertisement, _time.GetUtcNow());
            }
        }
    }

    /// <summary>
    /// A Master gives up leadership for a reason outside RFC 5798: a newer holder of the endpoint was heard (its fencing
    /// term is higher), or this process was stalled for longer than a Backup waits. It becomes Backup with a fresh
    /// Master_Down_Timer, so with preemption and a higher priority it takes the endpoint back by a planned handover.
    /// </summary>
    public void StepDown(string reason)
    {
        lock (_gate)
        {
            if (_disposed || _state != VrrpState.Master)
            {
                return;
            }

            _preemptAllowedAt = null;
            _deferredTo = null;
            ArmDownTimer(DownInterval(), "no master heard within Master_Down_Interval after stepping down");
            ArmAdverTimer();
            Transition(VrrpState.Backup, reason);
        }
    }

    /// <summary>
    /// Health tracking (keepalived's track_script with a negative weight): while unhealthy the effective priority is
    /// the configured one minus <see cref="VrrpSettings.HealthPenalty"/>. A Master advertises the new priority at once,
    /// so a healthier Backup with preemption takes over within its Master_Down_Interval.
    /// </summary>
    public void SetHealth(bool healthy, string? reason)
    {
        lock (_gate)
        {
            if (_disposed || (healthy == _healthy && (healthy || reason == _healthReason)))
            {
                return;
            }

            var before = Effective();
            _healthy = healthy;
            _healthReason = healthy ? null : reason;
            var after = Effective();
            if (before != after && _state == VrrpState.Master)
            {
                Send(after, VrrpState.Master);
                ArmAdverTimer();
            }
        }
    }

    public ElectionSnapshot GetSnapshot()
    {
        lock (_gate)
        {
            return new ElectionSnapshot
            {
                Node = _settings.NodeName,
                State = _state,
                ConfiguredPriority = _settings.Priority,
                EffectivePriority = Effective(),
                Healthy = _healthy,
                HealthReason = _healthReason,
                AdvertisementInterval = _settings.AdvertisementInterval,
                MasterDownInterval = DownInterval(),
                Peers = [.. _peers.Values.OrderBy(p => p.Node, StringComparer.Ordinal)],
                History = [.. _history],
            };
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            CancelTimers();
        }
    }

    // RFC 5798 6.4.2, "If an ADVERTISEMENT is received".
    private void OnBackupReceived(Advertisement advertisement, DateTimeOffset now)
    {
        var local = Effective();
        if (advertisement.Priority == 0)
        {
            // The Master is leaving: take over after Skew_Time, so the highest-priority Backup goes first. Ready or not:
            // the leaving Master waits longer for a successor that is heard as Master than for none.
            _deferredTo = null;
            ArmDownTimer(Skew(), $"master {advertisement.Node} left (priority 0), took over after Skew_Time");
            return;
        }

        // A node not ready to take the endpoint would make the Master step down and leave it waiting for this node
        // (issue 13: a fresh lb-1 preempted 0.3 s after starting and held the address 16 s later, after a gap).
        var notReady = _settings.Preempt && advertisement.Priority < local ? _preemptBlocker?.Invoke() : null;
        var accept = !_settings.Preempt || advertisement.Priority >= local || notReady is not null;
        _deferredTo = notReady is not null ? advertisement.Node : null;
        if (!accept)
        {
            // A lower-priority Master. With PreemptDelay, tolerate it for that long after first seeing it
            // (keepalived's preempt_delay); then discard its advertisements so Master_Down_Timer expires.
            _preemptAllowedAt ??= now + _settings.PreemptDelay;
            accept = now < _preemptAllowedAt;
        }
        else
        {
            _preemptAllowedAt = null;
        }

        if (!accept)
        {
            // The timer armed by the last accepted advertisement now runs out because of the preemption: say so.
            _downReason = $"preempted lower priority master {advertisement.Node} ({advertisement.Priority} < {local})";
            return;
        }

        _masterAdverInterval = advertisement.AdvertisementInterval;
        var reason = advertisement.Priority < local && notReady is null
            ? $"preempted lower priority master {advertisement.Node} ({advertisement.Priority} < {local})"
            : $"no advertisement from master {advertisement.Node} within Master_Down_Interval";
        ArmDownTimer(DownInterval(), reason);
    }

    // RFC 5798 6.4.3, "If an ADVERTISEMENT is received".
    private void OnMasterReceived(Advertisement advertisement)
    {
        var local = Effective();
        if (advertisement.Priority == 0)
        {
            Send(local, VrrpState.Master);
            ArmAdverTimer();
            return;
        }

        var wins = advertisement.Priority > local
            || (advertisement.Priority == local && string.CompareOrdinal(advertisement.Node, _settings.NodeName) > 0);
        if (!wins)
        {
            // Discard, but answer at once so the other Master hears us and steps down without waiting a full interval.
            Send(local, VrrpState.Master);
            ArmAdverTimer();
            return;
        }

        _masterAdverInterval = advertisement.AdvertisementInterval;
        ArmDownTimer(DownInterval(), $"no advertisement from master {advertisement.Node} within Master_Down_Interval");
        ArmAdverTimer();
        var why = advertisement.Priority > local
            ? $"higher priority master {advertisement.Node} ({advertisement.Priority} > {local})"
            : $"equal priority master {advertisement.Node} ({advertisement.Priority}) has the greater name";
        Transition(VrrpState.Backup, why);
    }

    private void OnDownTimer(long generation)
    {
        lock (_gate)
        {
            if (_disposed || generation != _downGeneration || _state != VrrpState.Backup)
            {
                return;
            }

            if (_deferredTo is { } deferredTo && _preemptBlocker?.Invoke() is { } notReady)
            {
                // Silent for a Master_Down_Interval, the lower-priority Master this node defers to is more likely unheard
                // than dead: a starved fresh process reads its socket late (3 of 3 runs at a quarter of a CPU became
                // Master this way, and its Master then waited 3.7-6 s for this node). Not ready, this node could not
                // take the endpoint anyway; it becomes Master at the first firing once it is ready.
                ArmDownTimer(DownInterval(), $"no advertisement from master {deferredTo} within Master_Down_Interval (after waiting until ready: {notReady})");
                return;
            }

            // RFC 5798 6.4.2 "If the Master_Down_Timer fires": send an ADVERTISEMENT, become Master.
            _downTimer?.Dispose();
            _downTimer = null;
            _preemptAllowedAt = null;
            Send(Effective(), VrrpState.Master);
            ArmAdverTimer();
            Transition(VrrpState.Master, _downReason);
        }
    }

    private void OnAdverTimer(long generation)
    {
        lock (_gate)
        {
            if (_disposed || generation != _adverGeneration || _state == VrrpState.Initialize)
            {
                return;
            }

            Send(Effective(), _state);
            ArmAdverTimer();
        }
    }

    private void ArmDownTimer(TimeSpan due, string reason)
    {
        _downTimer?.Dispose();
        var generation = ++_downGeneration;
        _downReason = reason;
        _downTimer = _time.CreateTimer(_ => OnDownTimer(generation), null, due, Timeout.InfiniteTimeSpan);
    }

    private void ArmAdverTimer()
    {
        _adverTimer?.Dispose();
        var generation = ++_adverGeneration;
        _adverTimer = _time.CreateTimer(_ => OnAdverTimer(generation), null, _settings.AdvertisementInterval, Timeout.InfiniteTimeSpan);
    }

    private void CancelTimers()
    {
        _downTimer?.Dispose();
        _adverTimer?.Dispose();
        _downTimer = null;
        _adverTimer = null;
        _downGeneration++;
        _adverGeneration++;
    }

    private void Transition(VrrpState to, string reason)
    {
        if (to != VrrpState.Backup)
        {
            _downTimer?.Dispose();
            _downTimer = null;
            _downGeneration++;
        }

        var transition = new VrrpTransition(_time.GetUtcNow(), _state, to, reason);
        _state = to;
        _history.Enqueue(transition);
        while (_history.Count > _settings.HistoryCapacity)
        {
            _history.Dequeue();
        }

        StateChanged?.Invoke(transition);
    }

    private void Send(byte priority, VrrpState state) => SendAdvertisement?.Invoke(priority, state);

    private void RecordPeer(Advertisement advertisement, DateTimeOffset now) =>
        _peers[advertisement.Node] = new PeerAdvertisement(
            advertisement.Node, advertisement.Priority, advertisement.State, advertisement.AdvertisementInterval, now,
            advertisement.ConfiguredPriority, advertisement.HoldsEndpoint, advertisement.Term);

    private byte Effective() => _settings.EffectivePriority(_healthy);

    private TimeSpan Skew() => VrrpTimers.SkewTime(_masterAdverInterval, Effective());

    private TimeSpan DownInterval() => VrrpTimers.MasterDownInterval(_masterAdverInterval, Effective());
}
