namespace Foobar.LoadBalancer.Election.Transport;

/// <summary>Why a received datagram was not given to the state machine; <see cref="ElectionMetrics.Tag(PacketDropReason)"/> gives its metric tag (snake_case: <c>bad_mac</c>, <c>wrong_group</c>).</summary>
internal enum PacketDropReason
{
    /// <summary>Too short, too long, unknown version or type, bad name or state: never trusted, never thrown on.</summary>
    Malformed,

    /// <summary>The HMAC-SHA256 does not match: forged, corrupted or sent under another key.</summary>
    BadMac,

    /// <summary>Authentic, but for another group id (another pair sharing the key).</summary>
    WrongGroup,

    /// <summary>Our own node name: a looped-back packet or a peer misconfigured with our name.</summary>
    Own,

    /// <summary>Sequence not greater than the last one accepted from that node and epoch, or an older epoch.</summary>
    Replayed,
}
