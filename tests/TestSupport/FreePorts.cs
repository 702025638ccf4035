using System.Net;
using System.Net.Sockets;

namespace Foobar.TestSupport;

/// <summary>
/// Loopback ports nobody is listening on, for services that must be told their port before they start.
/// They come from below the kernel's ephemeral range (32768-60999 here): a port the kernel hands out for
/// "bind to 0" is also what it hands the next outgoing connection, so between our probe and the service's
/// bind another test's client could take it (seen once in CI as "address already in use"). Each test process
/// walks its own random slice of 20000-29999 and never hands out a port twice.
/// </summary>
public static class FreePorts
{
    private const int First = 20000;
    private const int Count = 10000;
    private static int _next = Random.Shared.Next(Count);

    public static int Next() => Take(port => IsFreeTcp(port) && IsFreeUdp(port));

    public static int NextUdp() => Take(IsFreeUdp);

    /// <summary>A run of <paramref name="length"/> consecutive free ports; returns the first.</summary>
    public static int NextBlock(int length)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            // The slice is the counter values this call consumed (end - length + 1 .. end), mapped like Take's, so a
            // later Next() never hands out a port inside a block (it did: the block started at the new counter value,
            // and the next single port was the block's second, taken later by the Launcher's own https listener).
            var end = Interlocked.Add(ref _next, length);
            var start = First + (int)((uint)(end - length + 1) % Count);
            if (start + length <= First + Count && Enumerable.Range(start, length).All(p => IsFreeTcp(p) && IsFreeUdp(p)))
            {
                return start;
            }
        }

        throw new InvalidOperationException($"no {length} consecutive free ports found in {First}-{First + Count - 1}");
    }

    private static int Take(Func<int, bool> isFree)
    {
        for (var attempt = 0; attempt < Count; attempt++)
        {
            var port = First + (int)((uint)Interlocked.Increment(ref _next) % Count);
            if (isFree(port))
            {
                return port;
            }
        }

        throw new InvalidOperationException($"no free port in {First}-{First + Count - 1}");
    }

    private static bool IsFreeTcp(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static bool IsFreeUdp(int port)
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
