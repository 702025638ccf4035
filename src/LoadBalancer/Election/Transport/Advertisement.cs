using Foobar.LoadBalancer.Election.Protocol;

namespace Foobar.LoadBalancer.Election.Transport;

/// <summary>
/// One decoded, authenticated advertisement. <see cref="Epoch"/> and <see cref="Sequence"/> exist only for
/// replay protection (see <see cref="ReplayGuard"/>); the state machine ignores them. <see cref="ConfiguredPriority"/>
/// is for the admin view; <see cref="HoldsEndpoint"/> (the sender's listener is open) tells an outgoing leader that
/// the new one is ready, so it can let go without a gap (see <see cref="Endpoint.EndpointOwner"/>). <see cref="Term"/>
/// is the fencing term of the sender's last hold (<see cref="Endpoint.EndpointTerm"/>): of two holders, the higher
/// term is the owner. <see cref="Vrrp"/>: heard as RFC 5798 VRRPv3 from another router (<see cref="Vrrp.VrrpTransport"/>),
/// which has no term, so no term orders it.
/// </summary>
internal sealed record Advertisement(
    byte GroupId,
    string Node,
    byte Priority,
    TimeSpan AdvertisementInterval,
    VrrpState State,
    ulong Epoch,
    ulong Sequence,
    byte ConfiguredPriority = 0,
    bool HoldsEndpoint = false,
    ulong Term = 0,
    bool Vrrp = false);
