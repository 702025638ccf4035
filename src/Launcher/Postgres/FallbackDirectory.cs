using System.Security.Cryptography;
using System.Text;
using Foobar.Launcher.Processes;

namespace Foobar.Launcher.Postgres;

/// <summary>
/// Where the cluster lives when the postgres user cannot reach the data directory (a checkout under /root, say):
/// a directory under /var/tmp named after the data directory, so restarts find the same database. Everyone can
/// create names in /var/tmp, so the name alone proves nothing: the directory is made here with mkdir (which fails
/// on anything already there, a planted link included), handed over with chown -h (never through a link), and
/// before every use it must be a real directory, owned by the postgres user, mode 0700. Anything else is refused.
/// </summary>
public static class FallbackDirectory
{
    public const string Parent = "/var/tmp";

    public static string PathFor(string root) =>
        Path.Combine(Parent, $"foobar-postgres-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(root)))[..12]}");

    /// <summary>Creates or verifies the fallback for <paramref name="root"/>; throws with what is wrong when it is not safe to use.</summary>
    public static async Task<string> PrepareAsync(string root, string serviceUser)
    {
        var path = PathFor(root);
        if (await DescribeAsync(path) is null)
        {
            if (await RunAsync("mkdir", ["-m", "0700", path]) is not (0, _))
            {
                throw new InvalidOperationException($"cannot create {path}: something else took the name; remove it or use --data-dir somewhere the postgres user can reach");
            }

            await RunAsync("chown", ["-h", $"{serviceUser}:", path]);
        }

        var expected = $"{serviceUser} directory 700";
        var found = await DescribeAsync(path);
        if (found != expected)
        {
            throw new InvalidOperationException(
                $"refusing to keep the database in {path}: it is '{found}', not '{expected}' (another user may have made it); remove it or use --data-dir somewhere the postgres user can reach");
        }

        return path;
    }

    /// <summary>Owner, type and mode of the path itself (stat does not follow a link), or null when nothing is there.</summary>
    private static async Task<string?> DescribeAsync(string path)
    {
        var (code, output) = await RunAsync("stat", ["-c", "%U %F %a", path]);
        return code == 0 ? output.Replace("symbolic link", "symlink", StringComparison.Ordinal) : null;
    }

    private static async Task<(int Code, string Output)> RunAsync(string fileName, IReadOnlyList<string> arguments)
    {
        await using var process = ChildProcess.Start(fileName, arguments);
        process.CloseStandardInput();
        var code = await process.Exited;
        return (code, string.Join("\n", process.LastLines()).Trim());
    }
}
