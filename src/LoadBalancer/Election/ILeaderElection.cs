namespace Foobar.LoadBalancer.Election;

/// <summary>What the admin API and dashboard read: <see cref="ElectionService"/> for a pair, <see cref="SingleNodeElection"/> for one load balancer.</summary>
internal interface ILeaderElection
{
    /// <summary>True while this node is Master (or always, when the election is disabled).</summary>
    bool IsLeader { get; }

    ElectionSnapshot GetSnapshot();
}
