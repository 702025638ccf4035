using System.Globalization;

namespace Foobar.TestSupport;

/// <summary>
/// A block of free loopback ports for one Launcher, so tests never collide with a stack a developer runs
/// on the defaults (8080, 9101, ...) or with each other. Taken from <see cref="FreePorts"/>, below the
/// kernel's ephemeral range.
/// </summary>
public sealed record LauncherPorts(int Http, int Https, int Admin, int Election, int AppBase, int WebBase, int Postgres)
{
    // http, https, admin x2, election x2, postgres, then app-i (+50) and web-i (+50) for i = 1..9.
    private const int BlockLength = 100;

    public static LauncherPorts Allocate()
    {
        var b = FreePorts.NextBlock(BlockLength);
        return new LauncherPorts(b, b + 1, b + 2, b + 4, b + 10, b + 30, b + 6);
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
}
