using System.Net;
using System.Net.NetworkInformation;
using Foobar.LoadBalancer.Election.Endpoint;

namespace Foobar.LoadBalancer.Election.Address;

/// <summary>
/// Announces that an IPv4 address now lives at this interface's MAC address: a gratuitous ARP request (sender and
/// target protocol address both the virtual IP, target hardware address zero, to the broadcast address), as keepalived
/// sends on becoming Master. Neighbours and switches that cached the old owner's MAC update at once (Linux lets a
/// gratuitous ARP override its entry even within <c>locktime</c>). Sent through an AF_PACKET socket, which .NET does
/// not offer; needs CAP_NET_RAW.
/// </summary>
internal static class GratuitousArp
{
    private const ushort EthPArp = 0x0806;

    public static unsafe void Send(int interfaceIndex, PhysicalAddress mac, IPAddress address)
    {
        var hardware = mac.GetAddressBytes();
        if (hardware.Length != 6)
        {
            throw new VirtualEndpointUnavailableException($"interface {interfaceIndex} has no Ethernet address");
        }

        Span<byte> ip = stackalloc byte[4];
        address.TryWriteBytes(ip, out _);

        // ARP over Ethernet (RFC 826): htype 1, ptype IPv4, hlen 6, plen 4, op 1 (request), sha, spa, tha, tpa.
        Span<byte> arp = stackalloc byte[28];
        arp.Clear();
        arp[1] = 1;
        arp[2] = 0x08;
        arp[4] = 6;
        arp[5] = 4;
        arp[7] = 1;
        hardware.CopyTo(arp[8..]);
        ip.CopyTo(arp[14..]);
        ip.CopyTo(arp[24..]);

        // struct sockaddr_ll: family, protocol (network order), ifindex, hatype, pkttype, halen, addr[8].
        Span<byte> link = stackalloc byte[20];
        link.Clear();
        BitConverter.TryWriteBytes(link, (ushort)LinuxNative.AfPacket);
        link[2] = EthPArp >> 8;
        link[3] = EthPArp & 0xff;
        BitConverter.TryWriteBytes(link[4..], interfaceIndex);
        link[11] = 6;
        link.Slice(12, 6).Fill(0xff);

        var protocol = (EthPArp >> 8) | ((EthPArp & 0xff) << 8);
        var fd = LinuxNative.Socket(LinuxNative.AfPacket, LinuxNative.SockDgram | LinuxNative.SockCloexec, protocol);
        if (fd < 0)
        {
            throw new VirtualEndpointUnavailableException($"packet socket: {LinuxNative.LastError()}");
        }

        try
        {
            fixed (byte* a = arp)
            fixed (byte* l = link)
            {
                if (LinuxNative.SendTo(fd, a, arp.Length, 0, l, link.Length) < 0)
                {
                    throw new VirtualEndpointUnavailableException($"gratuitous ARP for {address}: {LinuxNative.LastError()}");
                }
            }
        }
        finally
        {
            LinuxNative.Close(fd);
        }
    }
}
