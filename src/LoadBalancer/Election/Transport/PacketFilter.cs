namespace Foobar.LoadBalancer.Election.Transport;

/// <summary>
/// Everything between a datagram and the state machine: decode and authenticate, then drop other groups, our own
/// packets and replays. Each drop is counted by reason. Not thread-safe (one receive loop).
/// </summary>
internal sealed class PacketFilter(AdvertisementCodec codec, byte groupId, string ownNode)
{
    private readonly ReplayGuard _replay = new();
    private readonly long[] _dropped = new long[Enum.GetValues<PacketDropReason>().Length];

    public bool TryAccept(ReadOnlySpan<byte> datagram, out Advertisement? advertisement, out PacketDropReason reason)
    {
        if (!codec.TryDecode(datagram, out advertisement, out reason))
        {
            return Drop(reason, out advertisement);
        }

        if (advertisement!.GroupId != groupId)
        {
            reason = PacketDropReason.WrongGroup;
            return Drop(reason, out advertisement);
        }

        if (string.Equals(advertisement.Node, ownNode, StringComparison.Ordinal))
        {
            reason = PacketDropReason.Own;
            return Drop(reason, out advertisement);
        }

        if (!_replay.TryAccept(advertisement.Node, advertisement.Epoch, advertisement.Sequence))
        {
            reason = PacketDropReason.Replayed;
            return Drop(reason, out advertisement);
        }

        return true;
    }

    public long DroppedCount(PacketDropReason reason) => Interlocked.Read(ref _dropped[(int)reason]);

    private bool Drop(PacketDropReason reason, out Advertisement? advertisement)
    {
        Interlocked.Increment(ref _dropped[(int)reason]);
        advertisement = null;
        return false;
    }
}
