namespace Foobar.LoadBalancer.Election.Health;

/// <summary>
/// Health tracking input (keepalived's track_script): the load balancer implements it from YARP's cluster state.
/// Polled once per advertisement interval; must be cheap and must not block. None registered means healthy.
/// </summary>
internal interface IElectionHealthSource
{
    /// <summary>True when this node can serve (at least one healthy web server); otherwise a short reason for the dashboard.</summary>
    bool IsHealthy(out string? reason);
}
