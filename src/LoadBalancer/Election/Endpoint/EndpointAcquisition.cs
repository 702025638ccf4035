namespace Foobar.LoadBalancer.Election.Endpoint;

/// <summary>How a new Master takes the virtual endpoint, decided from what it last heard of the other holders.</summary>
internal enum EndpointAcquisition
{
    /// <summary>No holder was ever heard: the endpoint must be free (an exclusive probe bind; a misconfigured third node is refused).</summary>
    Exclusive,

    /// <summary>
    /// A planned handover: the holder was heard within the last two intervals and is leaving or stepping down. Share the
    /// endpoint; the outgoing holder moves new work to this node, drains and lets go.
    /// </summary>
    Handover,

    /// <summary>
    /// The holder this node last heard went silent for a whole Master_Down_Interval (kill -9, SIGSTOP, a hung VM, a
    /// partition). Take the endpoint even if its silent owner still holds it, and move all new work to this node
    /// (listen mode: join the port and steer the reuseport group to this socket; address mode: add the address and
    /// announce it). The silent holder learns of the higher fencing term when it is heard again and gives up.
    /// </summary>
    Takeover,
}
