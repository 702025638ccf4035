using System.Buffers.Binary;
using System.Net;

namespace Foobar.LoadBalancer.Election.Vrrp;

/// <summary>
/// A VRRPv3 advertisement for IPv4 (RFC 5798 section 5): version 3, type 1, the virtual router ID, the priority, the
/// maximum advertisement interval in centiseconds and the virtual addresses, with the checksum over an IPv4
/// pseudo-header (source, destination, protocol 112, length) as keepalived computes it. Decoding never throws.
/// </summary>
internal sealed record VrrpPacket(byte RouterId, byte Priority, TimeSpan Interval, IReadOnlyList<IPAddress> Addresses)
{
    public const int Protocol = 112;
    public static readonly IPAddress Group = IPAddress.Parse("224.0.0.18");

    /// <summary>The 12-bit interval field in centiseconds: 10 ms to 40.95 s.</summary>
    public static readonly TimeSpan MaxInterval = TimeSpan.FromMilliseconds(40_950);

    private const byte VersionAndType = 0x31;
    private const int HeaderLength = 8;

    public byte[] Encode(IPAddress source, IPAddress destination)
    {
        var packet = new byte[HeaderLength + (4 * Addresses.Count)];
        packet[0] = VersionAndType;
        packet[1] = RouterId;
        packet[2] = Priority;
        packet[3] = checked((byte)Addresses.Count);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)(Centiseconds(Interval) & 0x0fff));
        for (var i = 0; i < Addresses.Count; i++)
        {
            Addresses[i].TryWriteBytes(packet.AsSpan(HeaderLength + (4 * i)), out _);
        }

        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(6), Checksum(packet, source, destination));
        return packet;
    }

    /// <summary>The advertisement in <paramref name="packet"/> (the IP payload), or null with why it is not one.</summary>
    public static VrrpPacket? TryDecode(ReadOnlySpan<byte> packet, IPAddress source, IPAddress destination, out string? reason)
    {
        reason = null;
        if (packet.Length < HeaderLength || packet[0] != VersionAndType)
        {
            reason = "malformed";
            return null;
        }

        var count = packet[3];
        var centiseconds = BinaryPrimitives.ReadUInt16BigEndian(packet[4..]) & 0x0fff;
        if (packet.Length < HeaderLength + (4 * count) || centiseconds == 0)
        {
            reason = "malformed";
            return null;
        }

        if (Checksum(packet, source, destination) != 0)
        {
            reason = "bad_checksum";
            return null;
        }

        var addresses = new IPAddress[count];
        for (var i = 0; i < count; i++)
        {
            addresses[i] = new IPAddress(packet.Slice(HeaderLength + (4 * i), 4));
        }

        return new VrrpPacket(packet[1], packet[2], TimeSpan.FromMilliseconds(10 * centiseconds), addresses);
    }

    public static int Centiseconds(TimeSpan interval) => (int)Math.Round(interval.TotalMilliseconds / 10);

    /// <summary>
    /// The Internet checksum of the pseudo-header and <paramref name="packet"/>: the value to write (with the checksum
    /// field zero) or, over a received packet with its checksum in place, 0 when it is intact.
    /// </summary>
    private static ushort Checksum(ReadOnlySpan<byte> packet, IPAddress source, IPAddress destination)
    {
        Span<byte> pseudo = stackalloc byte[12];
        source.TryWriteBytes(pseudo, out _);
        destination.TryWriteBytes(pseudo[4..], out _);
        pseudo[8] = 0;
        pseudo[9] = Protocol;
        BinaryPrimitives.WriteUInt16BigEndian(pseudo[10..], (ushort)packet.Length);
        var sum = Sum(pseudo) + Sum(packet);
        while (sum >> 16 != 0)
        {
            sum = (sum & 0xffff) + (sum >> 16);
        }

        return (ushort)~sum;
    }

    private static uint Sum(ReadOnlySpan<byte> bytes)
    {
        uint sum = 0;
        var i = 0;
        for (; i + 1 < bytes.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(bytes[i..]);
        }

        if (i < bytes.Length)
        {
            sum += (uint)bytes[i] << 8;
        }

        return sum;
    }
}
