using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Foobar.FailoverBench;

/// <summary>
/// One load balancer process (the Release LoadBalancer.dll) in network namespace <paramref name="ns"/> (<c>ip netns
/// exec</c> execs it, so the pid is the load balancer's own), its output kept in a log file.
/// </summary>
internal sealed partial class LbProcess(string name, string ns, string dll, IReadOnlyDictionary<string, string?> environment, string logDirectory) : IDisposable
{
    private Process? _process;

    public string Name => name;

    public bool Running => _process is { HasExited: false };

    public void Start()
    {
        var info = new ProcessStartInfo("ip", ["netns", "exec", ns, "dotnet", dll])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        _process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {name}");
        var log = new StreamWriter(Path.Combine(logDirectory, $"{name}.log"), append: true) { AutoFlush = true };
        _process.OutputDataReceived += (_, e) => Write(log, e.Data);
        _process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>kill -9.</summary>
    public void Kill() => _process?.Kill();

    /// <summary>SIGSTOP, what <c>docker pause</c> does; the process keeps its sockets and runs nothing.</summary>
    public void Freeze() => Signal(19);

    /// <summary>SIGCONT.</summary>
    public void Resume() => Signal(18);

    /// <summary>SIGTERM, as systemd or docker stop would send; waits for the exit.</summary>
    public async Task TerminateAsync(TimeSpan timeout)
    {
        if (_process is not { HasExited: false } process)
        {
            return;
        }

        _ = SendSignal(process.Id, 15);
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
        }
    }

    public async Task WaitForExitAsync()
    {
        if (_process is { } process)
        {
            await process.WaitForExitAsync();
        }
    }

    public void Dispose()
    {
        if (_process is { HasExited: false })
        {
            Resume();
            _process.Kill();
        }

        _process?.Dispose();
    }

    private void Signal(int signal)
    {
        if (_process is { HasExited: false } process)
        {
            _ = SendSignal(process.Id, signal);
        }
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            log.WriteLine(line);
        }
    }

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int SendSignal(int pid, int signal);
}
