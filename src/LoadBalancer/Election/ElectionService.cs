using Foobar.LoadBalancer.Election.Endpoint;
using Foobar.LoadBalancer.Election.Health;
using Foobar.LoadBalancer.Election.Peers;
using Foobar.LoadBalancer.Election.Protocol;
using Foobar.LoadBalancer.Election.Transport;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Foobar.LoadBalancer.Election;

/// <summary>
/// The election of a load balancer pair as a hosted service, wiring its parts: the <see cref="VrrpStateMachine"/>
/// decides, the <see cref="ElectionTransport"/> carries its advertisements, the <see cref="EndpointOwner"/> takes and
/// hands over the <see cref="IVirtualEndpoint"/>, <see cref="ElectionHealth"/> lowers the priority while unhealthy and
/// <see cref="PeerViewHistory"/> records what the peers did. On graceful stop a Master sends priority 0
/// (RFC 5798 6.4.3) and keeps the endpoint until a peer holds it. A single load balancer uses
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
    private readonly EndpointOwner _owner;
    private readonly ElectionHealth _health;
    private readonly PeerViewHistory _peers;
    private volatile bool _isLeader;

    public ElectionService(
        IOptions<ElectionOptions> options,
        TimeProvider time,
        IVirtualEndpoint endpoint,
        ElectionMetrics metrics,
        IEnumerable<IElectionHealthSource> healthSources,
        ILoggerFactory loggers)
    {
        _options = options.Value;
        _time = time;
        _logger = loggers.CreateLogger<ElectionService>();
        _metrics = metrics;
        _machine = new VrrpStateMachine(VrrpSettings.From(_options), time);
        _transport = new ElectionTransport(_options, time, metrics, loggers.CreateLogger<ElectionTransport>());
        _owner = new EndpointOwner(endpoint, _machine.GetSnapshot, _options.BindGracePeriod, _options.HandoverTimeout, time, loggers.CreateLogger<EndpointOwner>());
        _health = new ElectionHealth(healthSources, _machine, loggers.CreateLogger<ElectionHealth>());
        _peers = new PeerViewHistory(time, loggers.CreateLogger<PeerViewHistory>());

        _machine.SendAdvertisement += (priority, state) => _transport.Send(priority, state, _owner.Held);
        _machine.StateChanged += OnStateChanged;
        _owner.Acquired += OnEndpointAcquired;
        _owner.ProblemChanged += () => _health.Update(_owner.Problem);
        _metrics.Observe(GetSnapshot);
    }

    public bool IsLeader => _isLeader;

    public ElectionSnapshot GetSnapshot() => _machine.GetSnapshot() with
    {
        HoldsEndpoint = _owner.Held,
        PeerHistory = _peers.GetHistory(),
        DroppedPackets = _transport.DroppedPackets,
    };

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Bind before the host reports started, so a taken port stops the process with a clear error.
        await _transport.OpenAsync(cancellationToken);
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
        _machine.Shutdown();
        if (wasMaster)
        {
            // UDP may lose the one priority-0 packet; a second copy (new sequence number) costs nothing.
            _transport.Send(0, VrrpState.Master, _owner.Held);
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
    }

    public override void Dispose()
    {
        _machine.Dispose();
        _transport.Dispose();
        base.Dispose();
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var owner = _owner.RunAsync(stoppingToken);
        var transport = _transport.RunAsync(OnAdvertisement, stoppingToken);
        _machine.Start();
        return Task.WhenAll(transport, owner, TickAsync(stoppingToken));
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

    private void OnAdvertisement(Advertisement advertisement)
    {
        _machine.ReceiveAdvertisement(advertisement);
        _peers.Heard(advertisement);
    }

    /// <summary>Tell the outgoing Master now rather than at the next interval: it lets go once it hears this.</summary>
    private void OnEndpointAcquired()
    {
        if (_machine.State == VrrpState.Master)
        {
            _transport.Send(_machine.EffectivePriority, VrrpState.Master, _owner.Held);
        }
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
