using System.Globalization;

namespace Foobar.LoadBalancer.Tests.AddressMode;

/// <summary>
/// A cgroup (v1 <c>cpu</c> controller) that gives the processes put in it a share of one CPU: a freshly started load
/// balancer as slow as on the loaded CI machine of a rehearsal (its first witness connection, JIT and host start took
/// seconds there), without loading the machine the other tests share. Null from <see cref="TryCreate"/> where the
/// controller is not mounted writable (then the test runs unthrottled and says so). Disposing moves the processes back
/// to the root group and removes it.
/// </summary>
internal sealed class CpuThrottle : IDisposable
{
    private const string Root = "/sys/fs/cgroup/cpu";
    private const int Period = 100_000;
    private readonly string _path;

    private CpuThrottle(string path) => _path = path;

    /// <param name="share">The share of one CPU, e.g. 0.25.</param>
    public static CpuThrottle? TryCreate(double share)
    {
        var path = Path.Combine(Root, $"foobar-test-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
        try
        {
            Directory.CreateDirectory(path);
            File.WriteAllText(Path.Combine(path, "cpu.cfs_period_us"), Period.ToString(CultureInfo.InvariantCulture));
            File.WriteAllText(Path.Combine(path, "cpu.cfs_quota_us"), ((int)(Period * share)).ToString(CultureInfo.InvariantCulture));
            return new CpuThrottle(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryRemove(path);
            return null;
        }
    }

    /// <summary>Puts the process (all its threads, and those it starts later) in the group.</summary>
    public void Add(int pid) => File.AppendAllText(Path.Combine(_path, "cgroup.procs"), pid.ToString(CultureInfo.InvariantCulture));

    /// <summary>How long the group's processes were held back so far (the controller's <c>throttled_time</c>).</summary>
    public TimeSpan Throttled
    {
        get
        {
            var line = File.ReadLines(Path.Combine(_path, "cpu.stat")).FirstOrDefault(l => l.StartsWith("throttled_time ", StringComparison.Ordinal));
            return line is null ? TimeSpan.Zero : TimeSpan.FromTicks(long.Parse(line["throttled_time ".Length..], CultureInfo.InvariantCulture) / 100);
        }
    }

    /// <summary>Lets the group's processes run at full speed again (they stay in it until disposed).</summary>
    public void Lift() => File.WriteAllText(Path.Combine(_path, "cpu.cfs_quota_us"), "-1");

    public void Dispose()
    {
        foreach (var pid in File.ReadAllLines(Path.Combine(_path, "cgroup.procs")))
        {
            try
            {
                File.AppendAllText(Path.Combine(Root, "cgroup.procs"), pid);
            }
            catch (IOException)
            {
                // It exited meanwhile.
            }
        }

        TryRemove(_path);
    }

    private static void TryRemove(string path)
    {
        try
        {
            // A cgroup is removed with rmdir alone (its control files cannot be deleted).
            Directory.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Not made, or a process still in it: the kernel keeps it until empty; harmless.
        }
    }
}
