using Foobar.LoadBalancer.Election.Peers;
using Foobar.LoadBalancer.Election.Protocol;
using Foobar.LoadBalancer.Election.Witness;

namespace Foobar.LoadBalancer.Election;

/// <summary>What the admin <c>/status</c> and the dashboard show about this node's election.</summary>
internal sealed record ElectionSnapshot
{
    public required string Node { get; init; }

    public required VrrpState State { get; init; }

    public required int ConfiguredPriority { get; init; }

    public required int EffectivePriority { get; init; }

    public required bool Healthy { get; init; }

    /// <summary>Why the node is unhealthy (null when healthy).</summary>
    public string? HealthReason { get; init; }

    public required TimeSpan AdvertisementInterval { get; init; }

    /// <summary>RFC 9568 6.1: 3 x Master_Adver_Interval + Skew_Time, as this node currently computes it.</summary>
    public required TimeSpan MasterDownInterval { get; init; }

    public required IReadOnlyList<PeerAdvertisement> Peers { get; init; }

    /// <summary>Oldest first, bounded.</summary>
    public required IReadOnlyList<VrrpTransition> History { get; init; }

    /// <summary>True while this node's public listeners are open (a Master between acquiring and releasing them).</summary>
    public bool HoldsEndpoint { get; init; }

    /// <summary>The fencing term of this node's current or last hold of the endpoint (<see cref="EndpointTerm"/>), 0 before the first.</summary>
    public ulong Term { get; init; }

    /// <summary>Changes in what each peer advertises, as seen from here, oldest first, bounded (filled in by the service).</summary>
    public IReadOnlyList<PeerTransition> PeerHistory { get; init; } = [];

    /// <summary>This node's lease at the election witness (filled in by the service; null when no witness is configured).</summary>
    public WitnessStatus? Witness { get; init; }

    /// <summary>Dropped datagrams by reason (filled in by the service; empty from the bare state machine).</summary>
    public IReadOnlyDictionary<string, long> DroppedPackets { get; init; } = new Dictionary<string, long>();
}
