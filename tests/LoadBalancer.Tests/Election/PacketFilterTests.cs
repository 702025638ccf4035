using System.Security.Cryptography;
using System.Text;
using Foobar.LoadBalancer.Election;
using Foobar.LoadBalancer.Election.Protocol;
using Foobar.LoadBalancer.Election.Transport;

namespace Foobar.LoadBalancer.Tests.Election;

public sealed class PacketFilterTests
{
    private static readonly byte[] Key = Encoding.UTF8.GetBytes("a shared key of enough length");
    private static readonly AdvertisementCodec Codec = new(Key);

    private static Advertisement Sample(ulong sequence = 1, ulong epoch = 1000, byte group = 7, string node = "lb-1") =>
        new(group, node, 200, TimeSpan.FromMilliseconds(200), VrrpState.Master, epoch, sequence);

    private static PacketFilter NewFilter() => new(Codec, groupId: 7, ownNode: "lb-2");

    [Fact]
    public void TryDecode_EncodedAdvertisement_RoundTrips()
    {
        var sent = Sample(sequence: 42, epoch: ulong.MaxValue - 3);

        var ok = Codec.TryDecode(Codec.Encode(sent), out var received, out _);

        Assert.True(ok);
        Assert.Equal(sent, received);
    }

    [Fact]
    public void TryAccept_ValidPacket_AcceptedAndNothingCounted()
    {
        var filter = NewFilter();

        Assert.True(filter.TryAccept(Codec.Encode(Sample()), out var adv, out _));
        Assert.Equal("lb-1", adv!.Node);
        Assert.All(Enum.GetValues<PacketDropReason>(), r => Assert.Equal(0, filter.DroppedCount(r)));
    }

    [Fact]
    public void TryAccept_ThousandsOfRandomDatagrams_NeverThrowsNeverAcceptsAllCounted()
    {
        var random = new Random(5798);
        var filter = NewFilter();
        const int Count = 20_000;
        for (var i = 0; i < Count; i++)
        {
            var datagram = new byte[random.Next(0, 200)];
            random.NextBytes(datagram);
            if (i % 2 == 0 && datagram.Length >= AdvertisementCodec.MinPacketLength)
            {
                // Half of them get a plausible header so that they reach the MAC check rather than the length check.
                var nameLength = random.Next(1, AdvertisementCodec.MaxNameLength + 1);
                datagram = new byte[AdvertisementCodec.HeaderLength + nameLength + AdvertisementCodec.MacLength];
                random.NextBytes(datagram);
                "FB\u0003\u0001"u8.CopyTo(datagram);
                datagram[7] = 0;
                datagram[AdvertisementCodec.HeaderLength - 1] = (byte)nameLength;
            }

            Assert.False(filter.TryAccept(datagram, out _, out _));
        }

        Assert.Equal(Count, filter.DroppedCount(PacketDropReason.Malformed) + filter.DroppedCount(PacketDropReason.BadMac));
        Assert.True(filter.DroppedCount(PacketDropReason.BadMac) > 1000, "the plausible half must reach the MAC check");
    }

    [Fact]
    public void TryAccept_EveryTruncation_DroppedAsMalformed()
    {
        var packet = Codec.Encode(Sample());
        var filter = NewFilter();

        for (var length = 0; length < packet.Length; length++)
        {
            Assert.False(filter.TryAccept(packet.AsSpan(0, length), out _, out var reason));
            Assert.Equal(PacketDropReason.Malformed, reason);
        }

        Assert.Equal(packet.Length, filter.DroppedCount(PacketDropReason.Malformed));
    }

    [Fact]
    public void TryAccept_AnySingleBitFlipped_Dropped()
    {
        var packet = Codec.Encode(Sample());
        var filter = NewFilter();

        for (var bit = 0; bit < packet.Length * 8; bit++)
        {
            var forged = (byte[])packet.Clone();
            forged[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(filter.TryAccept(forged, out _, out var reason));
            Assert.True(reason is PacketDropReason.BadMac or PacketDropReason.Malformed, $"bit {bit}: {reason}");
        }
    }

    [Fact]
    public void TryAccept_PriorityRaisedWithoutKey_DroppedAsBadMac()
    {
        var forged = Codec.Encode(Sample());
        forged[5] = 254;
        var filter = NewFilter();

        Assert.False(filter.TryAccept(forged, out _, out var reason));
        Assert.Equal(PacketDropReason.BadMac, reason);
        Assert.Equal(1, filter.DroppedCount(PacketDropReason.BadMac));
    }

    [Fact]
    public void TryAccept_SignedWithAnotherKey_DroppedAsBadMac()
    {
        var other = new AdvertisementCodec(Encoding.UTF8.GetBytes("another shared key, also long"));
        var filter = NewFilter();

        Assert.False(filter.TryAccept(other.Encode(Sample()), out _, out var reason));
        Assert.Equal(PacketDropReason.BadMac, reason);
    }

    [Fact]
    public void TryAccept_ReplayedOrOlder_DroppedAsReplayed()
    {
        var filter = NewFilter();
        var first = Codec.Encode(Sample(sequence: 10));

        Assert.True(filter.TryAccept(first, out _, out _));
        Assert.False(filter.TryAccept(first, out _, out var replay));
        Assert.False(filter.TryAccept(Codec.Encode(Sample(sequence: 9)), out _, out var older));
        Assert.True(filter.TryAccept(Codec.Encode(Sample(sequence: 11)), out _, out _));

        Assert.Equal((PacketDropReason.Replayed, PacketDropReason.Replayed), (replay, older));
        Assert.Equal(2, filter.DroppedCount(PacketDropReason.Replayed));
    }

    [Fact]
    public void TryAccept_PeerRestartedWithNewerEpoch_AcceptedAndOldLifeRejected()
    {
        var filter = NewFilter();
        var oldLife = Codec.Encode(Sample(sequence: 500, epoch: 1000));
        Assert.True(filter.TryAccept(oldLife, out _, out _));

        // The restarted node counts from 1 again under a later epoch; recordings of its old life are now stale.
        Assert.True(filter.TryAccept(Codec.Encode(Sample(sequence: 1, epoch: 2000)), out _, out _));
        Assert.False(filter.TryAccept(Codec.Encode(Sample(sequence: 501, epoch: 1000)), out _, out var reason));
        Assert.Equal(PacketDropReason.Replayed, reason);
    }

    [Fact]
    public void TryAccept_OtherGroup_DroppedAsWrongGroup()
    {
        var filter = NewFilter();

        Assert.False(filter.TryAccept(Codec.Encode(Sample(group: 8)), out _, out var reason));
        Assert.Equal(PacketDropReason.WrongGroup, reason);
    }

    [Fact]
    public void TryAccept_OwnNodeName_DroppedAsOwn()
    {
        var filter = NewFilter();

        Assert.False(filter.TryAccept(Codec.Encode(Sample(node: "lb-2")), out _, out var reason));
        Assert.Equal(PacketDropReason.Own, reason);
    }

    [Fact]
    public void TryDecode_AuthenticButUnknownState_DroppedAsMalformed()
    {
        var packet = Codec.Encode(Sample());
        packet[6] = 9;
        var bodyLength = packet.Length - AdvertisementCodec.MacLength;
        HMACSHA256.HashData(Key, packet.AsSpan(0, bodyLength), packet.AsSpan(bodyLength));

        Assert.False(Codec.TryDecode(packet, out _, out var reason));
        Assert.Equal(PacketDropReason.Malformed, reason);
    }

    [Fact]
    public void Constructor_ShortKey_Refused()
    {
        Assert.Throws<ArgumentException>(() => new AdvertisementCodec(new byte[15]));
    }

    [Fact]
    public void NewEpoch_LaterBoot_IsGreater()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var first = ReplayGuard.NewEpoch(time);
        time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.True(ReplayGuard.NewEpoch(time) > first);
    }
}
