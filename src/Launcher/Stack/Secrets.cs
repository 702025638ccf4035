using System.Security.Cryptography;

namespace Foobar.Launcher.Stack;

/// <summary>
/// The election key and admin token of a local stack: random on first run, kept in the data directory
/// (mode 600) so that restarts and scripts use the same ones.
/// </summary>
internal static class Secrets
{
    public static string LoadOrCreate(string dataDirectory, string name, Func<string> create)
    {
        var path = Path.Combine(dataDirectory, name);
        if (File.Exists(path) && File.ReadAllText(path).Trim() is { Length: > 0 } existing)
        {
            return existing;
        }

        var value = create();
        File.WriteAllText(path, value);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return value;
    }

    public static string ElectionKey() => "base64:" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public static string AdminToken() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}
