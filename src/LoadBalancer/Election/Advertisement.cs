namespace Foobar.LoadBalancer.Election;

/// <summary>
/// One decoded, authenticated advertisement. <see cref="Epoch"/> and <see cref="Sequence"/> exist only for
/// replay protection (see <see cref="ReplayGuard"/>); the state machine ignores them.
/// </summary>
internal sealed record Advertisement(
    byte GroupId,
    string Node,
    byte Priority,
    TimeSpan AdvertisementInterval,
    VrrpState State,
    ulong Epoch,
    ulong Sequence);
