using System.Runtime.InteropServices;

namespace Foobar.Launcher.Processes;

/// <summary>POSIX signals; .NET's Process.Kill only sends SIGKILL, and a graceful stop needs SIGTERM.</summary>
internal static partial class Signals
{
    public const int SigTerm = 15;

    public static bool Send(int pid, int signal) => Kill(pid, signal) == 0;

    public static bool IsAlive(int pid) => Kill(pid, 0) == 0;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
