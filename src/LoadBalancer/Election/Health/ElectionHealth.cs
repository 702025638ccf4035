using Foobar.LoadBalancer.Election.Protocol;
using Microsoft.Extensions.Logging;

namespace Foobar.LoadBalancer.Election.Health;

/// <summary>
/// Health tracking (keepalived's track_script): unhealthy while the endpoint has a problem or any
/// <see cref="IElectionHealthSource"/> says so; the state machine hears only changes, and each change is logged once.
/// Called from the interval tick and from the endpoint worker, so it serializes itself.
/// </summary>
internal sealed partial class ElectionHealth(IEnumerable<IElectionHealthSource> sources, VrrpStateMachine machine, ILogger<ElectionHealth> logger)
{
    private readonly IElectionHealthSource[] _sources = [.. sources];
    private readonly Lock _gate = new();
    private bool _lastHealthy = true;
    private string? _lastReason;

    /// <param name="endpointProblem">The endpoint owner's problem; when set, the sources are not asked.</param>
    public void Update(string? endpointProblem)
    {
        var reason = endpointProblem ?? AskSources();
        lock (_gate)
        {
            var healthy = reason is null;
            if (healthy == _lastHealthy && reason == _lastReason)
            {
                return;
            }

            _lastHealthy = healthy;
            _lastReason = reason;
            machine.SetHealth(healthy, reason);
            Log.HealthChanged(logger, healthy, reason, machine.EffectivePriority);
        }
    }

    private string? AskSources()
    {
        foreach (var source in _sources)
        {
            try
            {
                if (!source.IsHealthy(out var why))
                {
                    return why ?? "unhealthy";
                }
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                return $"health source failed: {ex.Message}";
            }
        }

        return null;
    }
}
