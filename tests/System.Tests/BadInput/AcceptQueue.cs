using System.Globalization;

namespace Foobar.System.Tests.BadInput;

/// <summary>
/// The kernel's accept queue of a listening TCP port: connections the client already counts as open (its connect
/// returned at the SYN-ACK) that the server has not accepted yet. Read from <c>/proc/net/tcp</c>, where a listening
/// socket's <c>rx_queue</c> is that queue's length.
/// </summary>
internal static class AcceptQueue
{
    private const string Listening = "0A";

    public static int Length(int port)
    {
        var length = 0;
        foreach (var line in File.ReadLines("/proc/net/tcp").Skip(1))
        {
            // sl local_address rem_address st tx_queue:rx_queue ...
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var localPort = int.Parse(fields[1].AsSpan(fields[1].IndexOf(':') + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (localPort == port && fields[3] == Listening)
            {
                length += int.Parse(fields[4].AsSpan(fields[4].IndexOf(':') + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            }
        }

        return length;
    }

    /// <summary>Waits until the server has accepted every queued connection on <paramref name="port"/>.</summary>
    public static async Task WaitEmptyAsync(int port, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Length(port) > 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"port {port}: {Length(port)} connections still not accepted after {timeout}");
            }

            await Task.Delay(50);
        }
    }
}
