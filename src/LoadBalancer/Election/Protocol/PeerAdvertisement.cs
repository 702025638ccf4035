namespace Foobar.LoadBalancer.Election.Protocol;

/// <summary>The last authenticated advertisement heard from one peer.</summary>
internal sealed record PeerAdvertisement(
    string Node,
    byte Priority,
    VrrpState State,
    TimeSpan AdvertisementInterval,
    DateTimeOffset HeardAt,
    byte ConfiguredPriority = 0,
    bool HoldsEndpoint = false,
    ulong Term = 0)
{
    /// <summary>The peer's own Master_Down_Interval (RFC 9568 6.1), from its interval and advertised priority.</summary>
    public TimeSpan MasterDownInterval => VrrpTimers.MasterDownInterval(AdvertisementInterval, Priority);
}
