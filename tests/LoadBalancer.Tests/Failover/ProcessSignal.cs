using System.Runtime.InteropServices;

namespace Foobar.LoadBalancer.Tests.Failover;

/// <summary>SIGSTOP and SIGCONT (what <c>docker pause</c>/<c>unpause</c> do to a container's processes).</summary>
internal static partial class ProcessSignal
{
    private const int SigStop = 19;
    private const int SigCont = 18;

    public static void Freeze(int pid) => Send(pid, SigStop);

    public static void Resume(int pid) => Send(pid, SigCont);

    private static void Send(int pid, int signal)
    {
        if (Kill(pid, signal) != 0)
        {
            throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
