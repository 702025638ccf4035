using System.Globalization;

namespace Foobar.System.Tests.BadInput;

/// <summary>This process's limit on open files (sockets included), from /proc/self/limits.</summary>
internal static class OpenFileLimit
{
    public static long Current()
    {
        var line = File.ReadLines("/proc/self/limits").Single(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        var soft = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
        return soft == "unlimited" ? long.MaxValue : long.Parse(soft, CultureInfo.InvariantCulture);
    }
}
