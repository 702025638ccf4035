using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Foobar.TestSupport;

/// <summary>
/// A block of free loopback ports for one Launcher, so tests never collide with a stack a developer runs
/// on the defaults (8080, 9101, ...) or with each other.
/// </summary>
public sealed record LauncherPorts(int Http, int Https, int Admin, int Election, int AppBase, int WebBase, int Postgres)
{
    private static int _next = 20000 + (Environment.ProcessId % 200) * 100;

    public static LauncherPorts Allocate()
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var b = Interlocked.Add(ref _next, 100) % 40000 + 20000;
            var ports = new LauncherPorts(b, b + 1, b + 2, b + 4, b + 10, b + 30, b + 6);
            if (ports.All().All(IsFree))
            {
                return ports;
            }
        }

        throw new InvalidOperationException("no free block of ports found");
    }

    public IEnumerable<int> All() =>
        [Http, Https, Admin, Admin + 1, Election, Election + 1, Postgres,
         .. Enumerable.Range(1, 9).SelectMany(i => new[] { AppBase + i, AppBase + i + 50, WebBase + i, WebBase + i + 50 })];

    public string[] ToArguments() =>
    [
        "--http-port", S(Http), "--https-port", S(Https), "--admin-port", S(Admin), "--election-port", S(Election),
        "--app-port", S(AppBase), "--web-port", S(WebBase), "--postgres-port", S(Postgres),
    ];

    private static string S(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static bool IsFree(int port)
    {
        try
        {
            using var tcp = new TcpListener(IPAddress.Loopback, port);
            tcp.Start();
            using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
