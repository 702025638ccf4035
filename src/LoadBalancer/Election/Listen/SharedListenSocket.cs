using System.Net.Sockets;
using System.Net;
using System.Runtime.InteropServices;
using Foobar.LoadBalancer.Election.Endpoint;

namespace Foobar.LoadBalancer.Election.Listen;

/// <summary>
/// The Linux socket options behind a gap-free handover of a public port between two processes on one host
/// (see docs/election.md, "Handover without a gap"): <c>SO_REUSEPORT</c> lets the incoming leader listen while the
/// outgoing one still does, a classic BPF program attached with <c>SO_ATTACH_REUSEPORT_CBPF</c> sends every new
/// connection to the incoming leader's socket, and <c>TCP_INFO</c> on a listening socket tells the outgoing leader
/// when its own accept queue is empty, so it can close without resetting a queued connection. Other systems keep
/// exclusive binds (a handover then has a gap of a few tens of milliseconds).
/// </summary>
internal static class SharedListenSocket
{
    private const int SolSocket = 1;
    private const int SoReusePort = 15;
    private const int SoAttachReusePortCbpf = 51;
    private const int SoAttachFilter = 26;
    private const int SoDetachFilter = 27;
    private const int IpProtoTcp = 6;
    private const int TcpInfo = 11;
    private const int IpProtoIp = 0;
    private const int IpFreeBind = 15;
    private const int IpProtoIpv6 = 41;
    private const int Ipv6FreeBind = 78;

    /// <summary><c>struct tcp_info</c>: for a listening socket <c>tcpi_unacked</c> (offset 24) is the accept queue length.</summary>
    private const int TcpInfoUnackedOffset = 24;

    public static bool IsSupported { get; } = OperatingSystem.IsLinux();

    /// <summary>
    /// A listening TCP socket on <paramref name="endpoint"/> with <c>SO_REUSEPORT</c>, so that a later owner can join
    /// it. <see cref="EndpointAcquisition.Exclusive"/> first proves nobody listens there with an exclusive probe bind
    /// (EADDRINUSE otherwise). <see cref="EndpointAcquisition.Takeover"/> joins whatever socket a silent (perhaps
    /// frozen) owner left there and steers every new connection to this one (<see cref="SteerToIncoming"/>: this socket
    /// joined second; alone in the group, it gets everything anyway).
    /// </summary>
    public static Socket Listen(IPEndPoint endpoint, int backlog, EndpointAcquisition how)
    {
        if (how == EndpointAcquisition.Exclusive)
        {
            using var probe = Create(endpoint);
            probe.Bind(endpoint);
        }

        var socket = Create(endpoint);
        try
        {
            socket.SetRawSocketOption(SolSocket, SoReusePort, BitConverter.GetBytes(1));
            socket.Bind(endpoint);

            // Listen now rather than when Kestrel does, right after this returns: the socket joins the port's
            // SO_REUSEPORT group at listen(), and the outgoing leader is told "bound" as soon as the bind is reported.
            // Kestrel's own listen() on a listening socket only sets the backlog again.
            socket.Listen(backlog);
            if (how == EndpointAcquisition.Takeover && !SteerToIncoming(socket))
            {
                throw new SocketException((int)SocketError.OperationNotSupported);
            }

            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Sends new connections for this port to the socket that joined its SO_REUSEPORT group second: the incoming
    /// leader (the outgoing one, alone until then, is the first). A classic BPF program returns the index of the
    /// socket to use; once the outgoing socket closes, the group has one socket, index 1 is out of range and the
    /// kernel falls back to its hash, i.e. the only socket. Returns false if the kernel refused.
    /// </summary>
    public static bool SteerToIncoming(Socket socket) =>
        // BPF_RET | BPF_K (0x06), k = 1.
        AttachClassicBpf(socket, SoAttachReusePortCbpf, [(0x06, 0, 0, 1)]);

    /// <summary>
    /// Drops, silently, every new connection's SYN arriving at this listening socket (a socket filter, SO_ATTACH_FILTER,
    /// that refuses a segment with SYN set and ACK clear; a TCP socket filter sees the TCP header at offset 0). Nothing is
    /// refused: the client retransmits its SYN (after 1 s on Linux), by then to whoever has the address. Handshakes
    /// already under way complete (their ACK passes). Returns false if the kernel refused.
    /// </summary>
    public static bool DropNewConnections(Socket socket) =>
        // ldb [13] (TCP flags); and #0x12 (SYN|ACK); jeq #0x02 ? next : skip 1; ret #0 (drop); ret #-1 (accept).
        AttachClassicBpf(socket, SoAttachFilter, [(0x30, 0, 0, 13), (0x54, 0, 0, 0x12), (0x15, 0, 1, 0x02), (0x06, 0, 0, 0), (0x06, 0, 0, -1)]);

    /// <summary>
    /// Attaches a classic BPF program with <paramref name="option"/> (SO_ATTACH_FILTER or SO_ATTACH_REUSEPORT_CBPF), which
    /// System.Net.Sockets has no API for. Returns false if the kernel refused.
    /// </summary>
    private static bool AttachClassicBpf(Socket socket, int option, (short Code, byte Jt, byte Jf, int K)[] program)
    {
        // struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; }, one per instruction.
        var filter = Marshal.AllocHGlobal(8 * program.Length);
        try
        {
            for (var i = 0; i < program.Length; i++)
            {
                Marshal.WriteInt16(filter, 8 * i, program[i].Code);
                Marshal.WriteByte(filter, (8 * i) + 2, program[i].Jt);
                Marshal.WriteByte(filter, (8 * i) + 3, program[i].Jf);
                Marshal.WriteInt32(filter, (8 * i) + 4, program[i].K);
            }

            // struct sock_fprog { unsigned short len; struct sock_filter *filter; }, the pointer naturally aligned.
            Span<byte> fprog = stackalloc byte[2 * IntPtr.Size];
            fprog.Clear();
            MemoryMarshal.Write(fprog, (ushort)program.Length);
            MemoryMarshal.Write(fprog[IntPtr.Size..], filter);
            socket.SetRawSocketOption(SolSocket, option, fprog);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return false;
        }
        finally
        {
            Marshal.FreeHGlobal(filter);
        }
    }

    /// <summary>Removes the filter of <see cref="DropNewConnections"/>; true if there was one.</summary>
    public static bool AcceptNewConnections(Socket socket)
    {
        try
        {
            socket.SetRawSocketOption(SolSocket, SoDetachFilter, BitConverter.GetBytes(0));
            return true;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>Connections established on this listening socket and not yet accepted; 0 when unknown or closed.</summary>
    public static int QueuedConnections(Socket socket)
    {
        Span<byte> info = stackalloc byte[232];
        try
        {
            var length = socket.GetRawSocketOption(IpProtoTcp, TcpInfo, info);
            return length >= TcpInfoUnackedOffset + 4 ? MemoryMarshal.Read<int>(info[TcpInfoUnackedOffset..]) : 0;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return 0;
        }
    }

    /// <summary>
    /// Mirrors Kestrel's default listen socket (SocketTransportOptions.CreateDefaultBoundListenSocket), with
    /// IP_FREEBIND: in address mode the listener binds the virtual IP before this host has it, so the address is added
    /// (and answers ARP) only once something listens behind it, as HAProxy's <c>freebind</c> allows.
    /// </summary>
    private static Socket Create(IPEndPoint endpoint)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (endpoint.Address.Equals(IPAddress.IPv6Any))
        {
            socket.DualMode = true;
        }

        if (endpoint.AddressFamily == AddressFamily.InterNetwork)
        {
            socket.SetRawSocketOption(IpProtoIp, IpFreeBind, BitConverter.GetBytes(1));
        }
        else
        {
            socket.SetRawSocketOption(IpProtoIpv6, Ipv6FreeBind, BitConverter.GetBytes(1));
        }

        return socket;
    }
}
