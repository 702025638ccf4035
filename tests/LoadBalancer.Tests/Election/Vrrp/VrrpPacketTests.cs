using System.Net;
using Foobar.LoadBalancer.Election.Vrrp;

namespace Foobar.LoadBalancer.Tests.Election.Vrrp;

/// <summary>The VRRPv3 wire format (RFC 5798 section 5) and its checksum over the IPv4 pseudo-header.</summary>
public sealed class VrrpPacketTests
{
    private static readonly IPAddress Source = IPAddress.Parse("10.213.7.11");
    private static readonly VrrpPacket Sample = new(51, 200, TimeSpan.FromMilliseconds(200), [IPAddress.Parse("10.213.7.100")]);

    [Fact]
    public void Encode_LaysOutTheRfcHeader()
    {
        var bytes = Sample.Encode(Source, VrrpPacket.Group);

        // Version 3 and type 1, router ID 51, priority 200, one address, 20 centiseconds, the checksum, the address.
        Assert.Equal([0x31, 51, 200, 1, 0x00, 20], bytes[..6]);
        Assert.Equal([10, 213, 7, 100], bytes[8..]);
    }

    [Fact]
    public void Encode_ChecksumMatchesAHandComputedOne()
    {
        // One's complement sum of the pseudo-header (10.213.7.11, 224.0.0.18, 0, 112, length 12) and the packet with its
        // checksum zero, in 16-bit words: 0x0AD5 + 0x070B + 0xE000 + 0x0012 + 0x0070 + 0x000C
        // + 0x3133 + 0xC801 + 0x0014 + 0x0000 + 0x0AD5 + 0x0764 = 0x1_FDEF, folded 0xFDF0, complemented 0x020F.
        var bytes = Sample.Encode(Source, VrrpPacket.Group);

        Assert.Equal([0x02, 0x0F], bytes[6..8]);
    }

    [Fact]
    public void TryDecode_EncodedPacket_RoundTrips()
    {
        var decoded = VrrpPacket.TryDecode(Sample.Encode(Source, VrrpPacket.Group), Source, VrrpPacket.Group, out var reason);

        Assert.Null(reason);
        Assert.NotNull(decoded);
        Assert.Equal((Sample.RouterId, Sample.Priority, Sample.Interval), (decoded.RouterId, decoded.Priority, decoded.Interval));
        Assert.Equal(Sample.Addresses, decoded.Addresses);
    }

    [Fact]
    public void TryDecode_AnyByteChanged_RefusedAsBadChecksumOrMalformed()
    {
        var good = Sample.Encode(Source, VrrpPacket.Group);
        for (var i = 0; i < good.Length; i++)
        {
            var bad = good.ToArray();
            bad[i] ^= 0x40;

            Assert.Null(VrrpPacket.TryDecode(bad, Source, VrrpPacket.Group, out var reason));
            Assert.Contains(reason, new[] { "bad_checksum", "malformed" });
        }
    }

    [Fact]
    public void TryDecode_FromAnotherSource_RefusedAsBadChecksum()
    {
        // The pseudo-header binds the packet to its IP header: the same bytes from another address do not add up.
        var bytes = Sample.Encode(Source, VrrpPacket.Group);

        Assert.Null(VrrpPacket.TryDecode(bytes, IPAddress.Parse("10.213.7.12"), VrrpPacket.Group, out var reason));
        Assert.Equal("bad_checksum", reason);
    }

    [Fact]
    public void TryDecode_RandomBytes_NeverThrows()
    {
        var random = new Random(5798);
        for (var i = 0; i < 10_000; i++)
        {
            var bytes = new byte[random.Next(0, 64)];
            random.NextBytes(bytes);
            if (bytes.Length > 0 && i % 2 == 0)
            {
                bytes[0] = 0x31;
            }

            VrrpPacket.TryDecode(bytes, Source, VrrpPacket.Group, out _);
        }
    }
}
