namespace Foobar.LoadBalancer.Election;

/// <summary>The last authenticated advertisement heard from one peer.</summary>
internal sealed record PeerAdvertisement(
    string Node,
    byte Priority,
    VrrpState State,
    TimeSpan AdvertisementInterval,
    DateTimeOffset HeardAt,
    byte ConfiguredPriority = 0,
    bool HoldsEndpoint = false,
    ulong Term = 0);
