namespace Foobar.LoadBalancer.Election;

/// <summary>What the admin API and dashboard read; implemented by <see cref="ElectionService"/>.</summary>
internal interface ILeaderElection
{
    /// <summary>True while this node is Master (or always, when the election is disabled).</summary>
    bool IsLeader { get; }

    ElectionSnapshot GetSnapshot();
}
