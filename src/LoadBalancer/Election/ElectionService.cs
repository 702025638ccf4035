using Foobar.LoadBalancer.Election.Endpoint;
using Foobar.LoadBalancer.Election.Health;
using Foobar.LoadBalancer.Election.Peers;
using Foobar.LoadBalancer.Election.Protocol;
using Foobar.LoadBalancer.Election.Transport;
using Foobar.LoadBalancer.Election.Vrrp;
using Foobar.LoadBalancer.Election.Witness;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Foobar.LoadBalancer.Election;

/// <summary>
/// The election of a load balancer pair as a hosted service, wiring its parts: the <see cref="VrrpStateMachine"/>
/// decides, the <see cref="ElectionTransport"/> carries its advertisements, the <see cref="EndpointOwner"/> takes and
/// hands over the <see cref="IVirtualEndpoint"/>, <see cref="ElectionHealth"/> lowers the priority while unhealthy and
/// <see cref="PeerViewHistory"/> records what the peers did. On graceful stop a Master sends priority 0
/// (RFC 5798 6.4.3) and keeps the endpoint until a peer holds it. Two Masters that both hold the endpoint are ordered
/// by their fencing terms (<see cref="EndpointTerm"/>), and a Master that was frozen for longer than a Backup waits
/// steps down as soon as it runs again (<see cref="StallWatchdog"/>). With <c>Election:Witness</c> configured, the
/// <see cref="LeaseWitness"/> is the third vote: the owner takes the endpoint only with it, and a holder that lost it
/// (and hears no Backup) lets go at once. A single load balancer uses
/// <see cref="SingleNodeElection"/> instead.
/// </summary>
internal sealed partial class ElectionService : BackgroundService, IHostedLifecycleService, ILeaderElection
{
    private readonly ElectionOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ElectionService> _logger;
    private readonly ElectionMetrics _metrics;
    private readonly VrrpStateMachine _machine;
    private readonly ElectionTransport _transport;
    private readonly VrrpTransport? _vrrp;
    private readonly EndpointOwner _owner;
    private readonly ElectionHealth _health;
    private readonly PeerViewHistory _peers;
    private readonly StallWatchdog _watchdog;
    private readonly LeaseWitness? _witness;
    private readonly IHostApplicationLifetime? _lifetime;
    private volatile bool _isLeader;
    private readonly long _createdAt;
    private string? _preemptDeferredFor;
    private double _preemptDeferredAtMs;

    public ElectionService(
        IOptions<ElectionOptions> options,
        TimeProvider time,
        IVirtualEndpoint endpoint,
        ElectionMetrics metrics,
        IEnumerable<IElectionHealthSource> healthSources,
        ILoggerFactory loggers,
        IHostApplicationLifetime? lifetime = null)
    {
        _lifetime = lifetime;
        _options = options.Value;
        _time = time;
        _logger = loggers.CreateLogger<ElectionService>();
        _metrics = metrics;
        // The protocol's timers on a thread of their own (the real clock only; tests drive a fake one).
        var timers = ReferenceEquals(time, TimeProvider.System) ? DedicatedThreadTimeProvider.Instance : time;
        _createdAt = time.GetTimestamp();
        _machine = new VrrpStateMachine(VrrpSettings.From(_options), timers, WhyNotReadyToPreempt);
        _transport = new ElectionTransport(_options, time, metrics, loggers.CreateLogger<ElectionTransport>());
        _vrrp = _options.Vrrp.Enabled ? new VrrpTransport(_options, loggers.CreateLogger<VrrpTransport>()) : null;
        _witness = _options.Witness.Enabled
            ? new LeaseWitness(
                new WitnessStore(_options.Witness.ConnectionString!, _options.GroupId, _options.NodeName!),
                WitnessTiming.From(_options), _options.NodeName!, _machine.GetSnapshot, _options.Peers.Count, timers, loggers.CreateLogger<LeaseWitness>())
            : null;
        _owner = new EndpointOwner(endpoint, _machine.GetSnapshot, _options.BindGracePeriod, _options.HandoverTimeout, _options.NodeName!, time, loggers.CreateLogger<EndpointOwner>(), _witness);
        _health = new ElectionHealth(healthSources, _machine, loggers.CreateLogger<ElectionHealth>());
        _peers = new PeerViewHistory(time, loggers.CreateLogger<PeerViewHistory>());

        _watchdog = new StallWatchdog(TimeSpan.FromMilliseconds(10), 2 * _options.AdvertisementInterval, OnStalled);
        _machine.SendAdvertisement += (priority, state) => Advertise(priority, state);
        _machine.StateChanged += OnStateChanged;
        _owner.Acquired += OnEndpointAcquired;
        _owner.Released += OnEndpointReleased;
        _owner.ProblemChanged += () => _health.Update(_owner.Problem);
        if (_witness is not null)
        {
            _witness.FenceRequired += OnFenceRequired;
            _witness.TermRaised += _owner.Term.Raise;
        }

        _metrics.Observe(GetSnapshot);
    }

    public bool IsLeader => _isLeader;

    public ElectionSnapshot GetSnapshot() => _machine.GetSnapshot() with
    {
        HoldsEndpoint = _owner.Held,
        Term = _owner.Term.Own,
        PeerHistory = _peers.GetHistory(),
        DroppedPackets = _vrrp is null ? _transport.DroppedPackets : _transport.DroppedPackets.Concat(_vrrp.DroppedPackets).ToDictionary(),
        Witness = _witness?.Status,
    };

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Bind before the host reports started, so a taken port stops the process with a clear error.
        await _transport.OpenAsync(cancellationToken);
        _vrrp?.Open();
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
        var started = _time.GetTimestamp();
        var wasMaster = _machine.State == VrrpState.Master;
        if (wasMaster)
        {
            // Still leading and advertising, so nobody takes over yet: clients leave connections that the move would cut.
            await _owner.DrainAsync(cancellationToken);
        }

        _machine.Shutdown();
        if (wasMaster)
        {
            // UDP may lose the one priority-0 packet; a second copy (new sequence number) costs nothing.
            Advertise(0, VrrpState.Master);
        }

        // The owner keeps the endpoint until a new Master holds it (at most HandoverTimeout), then drains.
        var handedOver = await _owner.LetGoAsync(cancellationToken);
        if (wasMaster)
        {
            Log.HandedOver(_logger, handedOver ? "a peer took the endpoint over" : "no peer took over", _time.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Normally done in StoppingAsync already; a host that never called it (or a test stopping only this service)
        // still hands over.
        if (_machine.State != VrrpState.Initialize || _owner.Held)
        {
            await StoppingAsync(cancellationToken);
        }

        await base.StopAsync(cancellationToken);
        _transport.Dispose();
        _vrrp?.Dispose();
    }

    public override void Dispose()
    {
        _witness?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _watchdog.Dispose();
        _machine.Dispose();
        _transport.Dispose();
        _vrrp?.Dispose();
        base.Dispose();
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var owner = RunOwnerOnceStartedAsync(stoppingToken);
        var transport = _transport.RunAsync(OnAdvertisement, stoppingToken);
        var vrrp = _vrrp?.RunAsync(OnAdvertisement, stoppingToken) ?? Task.CompletedTask;
        _machine.Start();
        _watchdog.Start();
        _witness?.Start();
        return Task.WhenAll(transport, vrrp, owner, TickAsync(stoppingToken));
    }

    /// <summary>
    /// The endpoint is first taken once the host has started: before that Kestrel has not bound its own endpoints yet,
    /// would bind the public ones with them, and a failure there (the port held by someone nobody heard) stops the host
    /// instead of being retried and reported as unhealthy. On a loaded machine a node can become Master that early.
    /// </summary>
    private async Task RunOwnerOnceStartedAsync(CancellationToken stoppingToken)
    {
        if (_lifetime is not null && !_lifetime.ApplicationStarted.IsCancellationRequested)
        {
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (_lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
            using (stoppingToken.Register(() => started.TrySetResult()))
            {
                await started.Task;
            }
        }

        await _owner.RunAsync(stoppingToken);
    }

    /// <summary>Once per advertisement interval: notice silent peers, bound a shared endpoint, poll health.</summary>
    private async Task TickAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.AdvertisementInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                _peers.CheckSilent(_machine.GetSnapshot().Peers);
                _owner.CheckShared();
                _health.Update(_owner.Problem);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    /// <summary>To the peers over the signed UDP election and, with <c>Election:Vrrp</c>, as VRRPv3 on the link (a Master only).</summary>
    private void Advertise(byte priority, VrrpState state)
    {
        _transport.Send(priority, state, _owner.Held, _owner.Term.Own);
        _vrrp?.Send(priority, state);
    }

    private void OnAdvertisement(Advertisement advertisement)
    {
        if (FenceByTerm(advertisement))
        {
            _machine.ReceiveAdvertisement(advertisement);
        }
        else
        {
            _machine.RecordOnly(advertisement);
        }

        _peers.Heard(advertisement);
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
        var term = _owner.Term;
        term.Observe(advertisement.Term);
        if (_machine.State != VrrpState.Master)
        {
            return true;
        }

        switch (term.Judge(advertisement))
        {
            case TermVerdict.Older:
                Advertise(_machine.EffectivePriority, VrrpState.Master);
                return false;
            case TermVerdict.Newer:
                _machine.StepDown($"{advertisement.Node} took the endpoint over under a newer fencing term ({advertisement.Term} > {term.Own}) while this node was not heard");
                return true;
            default:
                return true;
        }
    }

    /// <summary>
    /// Whether this node could take the endpoint at once if it preempted a lower-priority Master now (null) or why not.
    /// A Master that is preempted steps down at once and, with the witness, gives its lease back; a node that then takes
    /// seconds to hold the endpoint leaves it waiting, and once its handover wait runs out nobody holds the endpoint
    /// (issue 13: a restarted lb-1 preempted 0.3 s after starting, but its endpoint worker ran only once the host had
    /// started, its first witness connection was abandoned at the request timeout, and the address was unheld for 7.2 s).
    /// So a fresh node defers to the Master it hears until its endpoint is prepared (the host started, address mode's
    /// listeners open) and its witness has answered once (a pooled connection open); a Master it defers to and then
    /// misses for a Master_Down_Interval is replaced once this node is ready (<see cref="VrrpStateMachine"/>). Runs under
    /// the state machine's lock: it only reads flags and logs.
    /// </summary>
    private string? WhyNotReadyToPreempt()
    {
        var why = !_owner.Prepared ? "the virtual endpoint is not prepared yet (the host has not started)"
            : _witness is { Answered: false } ? "the witness has not answered yet" : null;
        var elapsedMs = _time.GetElapsedTime(_createdAt).TotalMilliseconds;
        if (why is not null && why != _preemptDeferredFor)
        {
            _preemptDeferredAtMs = _preemptDeferredFor is null ? elapsedMs : _preemptDeferredAtMs;
            _preemptDeferredFor = why;
            Log.PreemptionDeferred(_logger, elapsedMs, why);
        }
        else if (why is null && _preemptDeferredFor is not null)
        {
            _preemptDeferredFor = null;
            Log.PreemptionReady(_logger, elapsedMs, _preemptDeferredAtMs);
        }

        return why;
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
        var quickest = snapshot.Peers.Count == 0
            ? VrrpTimers.MasterDownInterval(_options.AdvertisementInterval, 254)
            : snapshot.Peers.Min(p => VrrpTimers.MasterDownInterval(_options.AdvertisementInterval, p.ConfiguredPriority));
        var stepDown = snapshot.State == VrrpState.Master && gap > quickest && _options.Peers.Count > 0;
        Log.Stalled(_logger, stepDown ? LogLevel.Warning : LogLevel.Information, gap.TotalMilliseconds, snapshot.State, quickest.TotalMilliseconds);
        if (stepDown)
        {
            _machine.StepDown($"this process was stalled for {gap.TotalMilliseconds:0} ms, longer than a backup waits ({quickest.TotalMilliseconds:0} ms): it may have been replaced");
        }
    }

    /// <summary>
    /// The witness says this node can no longer count on two votes of three: let go of the endpoint without waiting
    /// for a successor (none may come: the other node may be serving already) and step down, so that this node takes
    /// the endpoint again only through the witness.
    /// </summary>
    private void OnFenceRequired(string reason)
    {
        _owner.ReleaseAtOnce();
        _machine.StepDown($"fenced: {reason}");
        _owner.Want(false);
    }

    /// <summary>Tell the outgoing Master now rather than at the next interval: it lets go once it hears this.</summary>
    private void OnEndpointAcquired()
    {
        if (_machine.State == VrrpState.Master)
        {
            _transport.Send(_machine.EffectivePriority, VrrpState.Master, _owner.Held, _owner.Term.Own);
        }
    }

    /// <summary>
    /// Tell the new Master now that this node let go (also while stopping, when nothing else is sent any more): in
    /// address mode it announces the address only then.
    /// </summary>
    private void OnEndpointReleased()
    {
        var state = _machine.State;
        _transport.Send(state == VrrpState.Initialize ? (byte)0 : _machine.EffectivePriority, state, _owner.Held, _owner.Term.Own);
    }

    private void OnStateChanged(VrrpTransition transition)
    {
        _isLeader = transition.To == VrrpState.Master;
        Log.Transition(_logger, _options.NodeName!, transition.From, transition.To, transition.Reason, _machine.EffectivePriority);
        _metrics.Transition(transition.From, transition.To);
        if (transition.To == VrrpState.Master)
        {
            _owner.Want(true);
        }
        else if (transition.From == VrrpState.Master && transition.To == VrrpState.Backup)
        {
            _owner.Want(false);
        }

        // Shutdown (-> Initialize) keeps the endpoint: StoppingAsync lets it go once a peer has taken over.
    }
}
