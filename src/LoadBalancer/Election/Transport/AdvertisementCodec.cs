using System.Buffers.Binary;
using System.Security.Cryptography;
using Foobar.LoadBalancer.Election.Protocol;

namespace Foobar.LoadBalancer.Election.Transport;

/// <summary>
/// The wire format of an advertisement (all integers big-endian, like RFC 5798 section 5):
/// <code>
///  0  2  magic "FB"
///  2  1  format version (3)
///  3  1  type (1 = advertisement)
///  4  1  group id (VRRP's VRID)
///  5  1  priority, effective (0 = "I am leaving", RFC 5798 6.4.3)
///  6  1  sender state (0 Initialize, 1 Backup, 2 Master)
///  7  1  flags: bit 0 = the sender holds the virtual endpoint; other bits must be 0
///  8  1  configured priority (for the admin view; the election uses byte 5)
///  9  2  advertisement interval, milliseconds
/// 11  8  epoch (sender boot time in Unix ms &lt;&lt; 16 | 16 random bits)
/// 19  8  sequence number within the epoch, starts at 1
/// 27  8  fencing term of the sender's last hold of the endpoint (0 = never held; see EndpointTerm)
/// 35  1  node name length N (1-63)
/// 36  N  node name, ASCII [A-Za-z0-9._-]
/// 36+N 32 HMAC-SHA256 over bytes 0 .. 35+N under the shared key
/// </code>
/// VRRPv3 itself has no authentication (RFC 5798 section 9 removed it); this format adds it because the
/// transport is plain UDP. Decoding never throws: any input either decodes or yields a drop reason.
/// </summary>
internal sealed class AdvertisementCodec
{
    public const int MacLength = 32;
    public const int HeaderLength = 36;
    public const int MaxNameLength = 63;
    public const int MinPacketLength = HeaderLength + 1 + MacLength;
    public const int MaxPacketLength = HeaderLength + MaxNameLength + MacLength;
    private const byte Magic0 = (byte)'F';
    private const byte Magic1 = (byte)'B';
    private const byte FormatVersion = 3;
    private const byte TypeAdvertisement = 1;
    private const byte FlagHoldsEndpoint = 1;

    private readonly byte[] _key;

    public AdvertisementCodec(ReadOnlySpan<byte> key)
    {
        if (key.Length < ElectionOptions.MinKeyBytes)
        {
            throw new ArgumentException($"The key must be at least {ElectionOptions.MinKeyBytes} bytes.", nameof(key));
        }

        _key = key.ToArray();
    }

    public byte[] Encode(Advertisement advertisement)
    {
        ArgumentNullException.ThrowIfNull(advertisement);
        if (!IsValidName(advertisement.Node))
        {
            throw new ArgumentException("The node name must be 1-63 ASCII letters, digits, '.', '_' or '-'.", nameof(advertisement));
        }

        var intervalMs = (long)advertisement.AdvertisementInterval.TotalMilliseconds;
        if (intervalMs is < 1 or > ushort.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(advertisement), "The advertisement interval must be 1-65535 ms.");
        }

        var nameLength = advertisement.Node.Length;
        var packet = new byte[HeaderLength + nameLength + MacLength];
        packet[0] = Magic0;
        packet[1] = Magic1;
        packet[2] = FormatVersion;
        packet[3] = TypeAdvertisement;
        packet[4] = advertisement.GroupId;
        packet[5] = advertisement.Priority;
        packet[6] = (byte)advertisement.State;
        packet[7] = advertisement.HoldsEndpoint ? FlagHoldsEndpoint : (byte)0;
        packet[8] = advertisement.ConfiguredPriority;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(9), (ushort)intervalMs);
        BinaryPrimitives.WriteUInt64BigEndian(packet.AsSpan(11), advertisement.Epoch);
        BinaryPrimitives.WriteUInt64BigEndian(packet.AsSpan(19), advertisement.Sequence);
        BinaryPrimitives.WriteUInt64BigEndian(packet.AsSpan(27), advertisement.Term);
        packet[HeaderLength - 1] = (byte)nameLength;
        for (var i = 0; i < nameLength; i++)
        {
            packet[HeaderLength + i] = (byte)advertisement.Node[i];
        }

        var bodyLength = HeaderLength + nameLength;
        HMACSHA256.HashData(_key, packet.AsSpan(0, bodyLength), packet.AsSpan(bodyLength, MacLength));
        return packet;
    }

    /// <summary>Checks structure, then the MAC; never throws. Group, own-packet and replay checks come after (<see cref="PacketFilter"/>).</summary>
    public bool TryDecode(ReadOnlySpan<byte> packet, out Advertisement? advertisement, out PacketDropReason reason)
    {
        advertisement = null;
        reason = PacketDropReason.Malformed;
        if (packet.Length < MinPacketLength || packet.Length > MaxPacketLength)
        {
            return false;
        }

        if (packet[0] != Magic0 || packet[1] != Magic1 || packet[2] != FormatVersion || packet[3] != TypeAdvertisement || (packet[7] & ~FlagHoldsEndpoint) != 0)
        {
            return false;
        }

        int nameLength = packet[HeaderLength - 1];
        if (nameLength is < 1 or > MaxNameLength || packet.Length != HeaderLength + nameLength + MacLength)
        {
            return false;
        }

        var bodyLength = HeaderLength + nameLength;
        Span<byte> expected = stackalloc byte[MacLength];
        HMACSHA256.HashData(_key, packet[..bodyLength], expected);

        // Constant-time compare so that timing does not reveal how much of a forged MAC was right.
        if (!CryptographicOperations.FixedTimeEquals(expected, packet.Slice(bodyLength, MacLength)))
        {
            reason = PacketDropReason.BadMac;
            return false;
        }

        // Authentic from here on, but still checked: a peer running a newer format must not crash us.
        var state = packet[6];
        var intervalMs = BinaryPrimitives.ReadUInt16BigEndian(packet[9..]);
        var nameBytes = packet.Slice(HeaderLength, nameLength);
        if (state > (byte)VrrpState.Master || intervalMs == 0 || !IsValidName(nameBytes))
        {
            reason = PacketDropReason.Malformed;
            return false;
        }

        var name = string.Create(nameLength, nameBytes.ToArray(), static (chars, bytes) =>
        {
            for (var i = 0; i < bytes.Length; i++)
            {
                chars[i] = (char)bytes[i];
            }
        });

        advertisement = new Advertisement(
            GroupId: packet[4],
            Node: name,
            Priority: packet[5],
            AdvertisementInterval: TimeSpan.FromMilliseconds(intervalMs),
            State: (VrrpState)state,
            Epoch: BinaryPrimitives.ReadUInt64BigEndian(packet[11..]),
            Sequence: BinaryPrimitives.ReadUInt64BigEndian(packet[19..]),
            ConfiguredPriority: packet[8],
            HoldsEndpoint: (packet[7] & FlagHoldsEndpoint) != 0,
            Term: BinaryPrimitives.ReadUInt64BigEndian(packet[27..]));
        return true;
    }

    public static bool IsValidName(string name)
    {
        if (name.Length is < 1 or > MaxNameLength)
        {
            return false;
        }

        for (var i = 0; i < name.Length; i++)
        {
            if (!IsNameChar(name[i], first: i == 0))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsValidName(ReadOnlySpan<byte> name)
    {
        for (var i = 0; i < name.Length; i++)
        {
            if (!IsNameChar((char)name[i], first: i == 0))
            {
                return false;
            }
        }

        return true;
    }

    // The same alphabet as Node:Name (NodeOptions), so every valid node name fits in a packet.
    private static bool IsNameChar(char c, bool first) =>
        char.IsAsciiLetterOrDigit(c) || (!first && c is '.' or '_' or '-');
}
