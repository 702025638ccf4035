namespace Foobar.LoadBalancer.Election.Vrrp;

/// <summary>
/// Configuration section <c>Election:Vrrp</c> (bound as <see cref="ElectionOptions.Vrrp"/>): RFC 5798 VRRPv3 on the wire
/// beside the signed UDP election, so that a load balancer and a VRRPv3 router (keepalived with <c>vrrp_version 3</c>)
/// share one virtual IP (docs/election.md, "VRRPv3 on the wire"). Address mode only; off by default, because VRRPv3 has
/// no authentication: anything on the link that sends TTL-255 packets can take part.
/// </summary>
internal sealed record VrrpOptions
{
    public bool Enabled { get; init; }
}
