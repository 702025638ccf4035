using Foobar.LoadBalancer.Election.Endpoint;
using Foobar.LoadBalancer.Election.Protocol;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Foobar.LoadBalancer.Election;

/// <summary>
/// <c>Election:Enabled=false</c>, a single load balancer: this node owns the endpoint from start to stop, with no
/// packets, peers or key. It is leader from the start and reports itself unhealthy only while it cannot bind the
/// endpoint. The release on stop happens in StoppingAsync for the same reason as <see cref="ElectionService"/>'s.
/// </summary>
internal sealed partial class SingleNodeElection : BackgroundService, IHostedLifecycleService, ILeaderElection
{
    private readonly VrrpSettings _settings;
    private readonly ILogger<SingleNodeElection> _logger;
    private readonly EndpointOwner _owner;
    private volatile bool _isLeader;

    public SingleNodeElection(IOptions<ElectionOptions> options, TimeProvider time, IVirtualEndpoint endpoint, ElectionMetrics metrics, ILoggerFactory loggers)
    {
        _settings = VrrpSettings.From(options.Value);
        _logger = loggers.CreateLogger<SingleNodeElection>();

        // No peer can take the endpoint over, so a release never waits for one.
        _owner = new EndpointOwner(endpoint, GetSnapshot, options.Value.BindGracePeriod, handoverTimeout: TimeSpan.Zero, _settings.NodeName, time, loggers.CreateLogger<EndpointOwner>());
        _owner.ProblemChanged += OnProblemChanged;
        metrics.Observe(GetSnapshot);
    }

    public bool IsLeader => _isLeader;

    public ElectionSnapshot GetSnapshot()
    {
        var problem = _owner.Problem;
        var priority = _settings.EffectivePriority(healthy: problem is null);
        return new ElectionSnapshot
        {
            Node = _settings.NodeName,
            State = _isLeader ? VrrpState.Master : VrrpState.Initialize,
            ConfiguredPriority = _settings.Priority,
            EffectivePriority = priority,
            Healthy = problem is null,
            HealthReason = problem,
            AdvertisementInterval = _settings.AdvertisementInterval,
            MasterDownInterval = VrrpTimers.MasterDownInterval(_settings.AdvertisementInterval, priority),
            Peers = [],
            History = [],
            HoldsEndpoint = _owner.Held,
        };
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => _owner.LetGoAsync(cancellationToken);

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Normally released in StoppingAsync already; a host that never called it still releases.
        if (_owner.Held)
        {
            await StoppingAsync(cancellationToken);
        }

        await base.StopAsync(cancellationToken);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var owner = _owner.RunAsync(stoppingToken);
        Log.Disabled(_logger);
        _isLeader = true;
        _owner.Want(true);
        return owner;
    }

    private void OnProblemChanged()
    {
        var problem = _owner.Problem;
        Log.HealthChanged(_logger, problem is null, problem, _settings.EffectivePriority(healthy: problem is null));
    }
}
