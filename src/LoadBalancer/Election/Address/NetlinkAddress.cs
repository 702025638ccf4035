using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Foobar.LoadBalancer.Election.Endpoint;

namespace Foobar.LoadBalancer.Election.Address;

/// <summary>
/// Adds and removes an IPv4 address on an interface through rtnetlink (RTM_NEWADDR / RTM_DELADDR), what
/// <c>ip addr add|del</c> does, without starting a process per failover: no fork on the failover path, no dependency
/// on iproute2 being installed in the container, and the kernel's own errno in the message. An address added with a
/// lifetime (IFA_CACHEINFO, what <c>ip addr add ... valid_lft N</c> sets) is removed by the kernel when it runs out
/// unless <see cref="Refresh"/> extends it first: a holder that is frozen or hung loses the address by itself.
/// Needs CAP_NET_ADMIN.
/// </summary>
internal static class NetlinkAddress
{
    private const ushort RtmNewAddr = 20;
    private const ushort RtmDelAddr = 21;
    private const ushort NlmsgError = 2;
    private const ushort NlmFRequest = 0x1;
    private const ushort NlmFAck = 0x4;
    private const ushort NlmFReplace = 0x100;
    private const ushort NlmFCreate = 0x400;
    private const ushort IfaAddress = 1;
    private const ushort IfaLocal = 2;
    private const ushort IfaCacheInfo = 6;
    private const int EAddrNotAvail = 99;
    private const int AfInet = 2;

    private static int _sequence;

    /// <summary>
    /// Adds <paramref name="address"/>/<paramref name="prefixLength"/> for <paramref name="lifetime"/> (whole seconds)
    /// from now, or, if it is there, sets its lifetime again: the first add and every refresh are one request.
    /// </summary>
    public static void Refresh(int interfaceIndex, IPAddress address, int prefixLength, TimeSpan lifetime) =>
        Request(RtmNewAddr, NlmFCreate | NlmFReplace, interfaceIndex, address, prefixLength, tolerated: 0, lifetime);

    /// <summary>Removes it; true if removed, false if it was not there.</summary>
    public static bool Remove(int interfaceIndex, IPAddress address, int prefixLength) =>
        Request(RtmDelAddr, 0, interfaceIndex, address, prefixLength, tolerated: EAddrNotAvail);

    private static unsafe bool Request(ushort type, ushort flags, int interfaceIndex, IPAddress address, int prefixLength, int tolerated, TimeSpan? lifetime = null)
    {
        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException("Only IPv4 virtual addresses are supported.", nameof(address));
        }

        // nlmsghdr (16) + ifaddrmsg (8) + IFA_LOCAL rtattr (8) + IFA_ADDRESS rtattr (8) [+ IFA_CACHEINFO rtattr (20)],
        // native byte order.
        var message = new byte[lifetime is null ? 40 : 60];
        var sequence = Interlocked.Increment(ref _sequence);
        BitConverter.TryWriteBytes(message.AsSpan(0), (uint)message.Length);
        BitConverter.TryWriteBytes(message.AsSpan(4), type);
        BitConverter.TryWriteBytes(message.AsSpan(6), (ushort)(NlmFRequest | NlmFAck | flags));
        BitConverter.TryWriteBytes(message.AsSpan(8), sequence);
        message[16] = AfInet;
        message[17] = (byte)prefixLength;
        BitConverter.TryWriteBytes(message.AsSpan(20), interfaceIndex);
        WriteAttribute(message.AsSpan(24), IfaLocal, address);
        WriteAttribute(message.AsSpan(32), IfaAddress, address);
        if (lifetime is { } valid)
        {
            // struct ifa_cacheinfo: preferred and valid lifetimes in seconds (then two timestamps the kernel ignores here).
            var seconds = (uint)Math.Ceiling(valid.TotalSeconds);
            BitConverter.TryWriteBytes(message.AsSpan(40), (ushort)20);
            BitConverter.TryWriteBytes(message.AsSpan(42), IfaCacheInfo);
            BitConverter.TryWriteBytes(message.AsSpan(44), seconds);
            BitConverter.TryWriteBytes(message.AsSpan(48), seconds);
        }

        var fd = LinuxNative.Socket(LinuxNative.AfNetlink, LinuxNative.SockRaw | LinuxNative.SockCloexec, LinuxNative.NetlinkRoute);
        if (fd < 0)
        {
            throw new VirtualEndpointUnavailableException($"netlink socket: {LinuxNative.LastError()}");
        }

        try
        {
            // The kernel answers at once; the timeout only guards against a reply that never comes.
            Span<byte> timeout = stackalloc byte[16];
            timeout.Clear();
            BitConverter.TryWriteBytes(timeout, 2L);
            fixed (byte* t = timeout)
            {
                LinuxNative.SetSockOpt(fd, LinuxNative.SolSocket, LinuxNative.SoRcvTimeo, t, timeout.Length);
            }

            Span<byte> kernel = stackalloc byte[12];
            kernel.Clear();
            BitConverter.TryWriteBytes(kernel, (ushort)LinuxNative.AfNetlink);
            fixed (byte* m = message)
            fixed (byte* k = kernel)
            {
                if (LinuxNative.SendTo(fd, m, message.Length, 0, k, kernel.Length) < 0)
                {
                    throw new VirtualEndpointUnavailableException($"netlink send: {LinuxNative.LastError()}");
                }
            }

            var reply = new byte[8192];
            while (true)
            {
                nint length;
                fixed (byte* r = reply)
                {
                    length = LinuxNative.Receive(fd, r, reply.Length, 0);
                }

                if (length < 0)
                {
                    throw new VirtualEndpointUnavailableException($"netlink receive: {LinuxNative.LastError()}");
                }

                if (length < 20 || BitConverter.ToUInt16(reply, 4) != NlmsgError || BitConverter.ToInt32(reply, 8) != sequence)
                {
                    continue;
                }

                var error = -BitConverter.ToInt32(reply, 16);
                if (error == 0)
                {
                    return true;
                }

                if (error == tolerated)
                {
                    return false;
                }

                var verb = type == RtmNewAddr ? "add" : "remove";
                throw new VirtualEndpointUnavailableException($"{verb} {address}/{prefixLength} on interface {interfaceIndex}: {LinuxNative.Describe(error)}");
            }
        }
        finally
        {
            LinuxNative.Close(fd);
        }
    }

    private static void WriteAttribute(Span<byte> target, ushort type, IPAddress address)
    {
        BitConverter.TryWriteBytes(target, (ushort)8);
        BitConverter.TryWriteBytes(target[2..], type);
        address.TryWriteBytes(target[4..8], out _);
    }

    /// <summary>For tests and diagnostics: the big-endian form of an IPv4 address as an integer.</summary>
    internal static uint ToUInt32(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[4];
        address.TryWriteBytes(bytes, out _);
        return BinaryPrimitives.ReadUInt32BigEndian(bytes);
    }
}
