using System.Diagnostics;
using Foobar.ServiceDefaults;

namespace Foobar.Launcher.Processes;

/// <summary>
/// A child process whose output is kept (last lines in memory, all of it in a log file) and whose
/// standard input is a pipe held open by us. Services started with <see cref="ServiceEnvironment"/>
/// exit when that pipe closes, which is what happens when this process dies, even by SIGKILL:
/// that is how the stack leaves no orphans.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private const int KeptLines = 200;
    private const string SetsidPath = "/usr/bin/setsid";
    private readonly Process _process;
    private readonly Queue<string> _lastLines = new();
    private readonly StreamWriter? _log;
    private bool _logClosed;
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ChildProcess(Process process, StreamWriter? log)
    {
        _process = process;
        _log = log;
    }

    public int Pid => _process.Id;

    public bool HasExited => _exited.Task.IsCompleted;

    public Task<int> Exited => _exited.Task;

    public static ChildProcess Start(string fileName, IEnumerable<string> arguments, IEnumerable<KeyValuePair<string, string?>>? environment = null, string? logFile = null, string? workingDirectory = null)
    {
        // setsid: the child gets its own session and process group, so a Ctrl+C typed at the terminal (which
        // signals the whole foreground group) reaches only the Launcher, which then stops children in order.
        var info = new ProcessStartInfo(OperatingSystem.IsLinux() && File.Exists(SetsidPath) ? SetsidPath : fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        if (info.FileName == SetsidPath)
        {
            info.ArgumentList.Add(fileName);
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? [])
        {
            info.Environment[key] = value;
        }

        StreamWriter? log = null;
        if (logFile is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(logFile))!);
            log = new StreamWriter(new FileStream(logFile, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(process, log);
        var stdoutClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stderrClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) => child.Keep(e.Data, stdoutClosed);
        process.ErrorDataReceived += (_, e) => child.Keep(e.Data, stderrClosed);
        process.Exited += async (_, _) =>
        {
            // Give the pipes a moment to drain so the last lines are complete, but do not wait for them:
            // a grandchild (postgres under runuser) may hold them open after the child itself is gone.
            await Task.WhenAny(Task.WhenAll(stdoutClosed.Task, stderrClosed.Task), Task.Delay(TimeSpan.FromSeconds(1)));
            child._exited.TrySetResult(process.ExitCode);
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>The last lines the child wrote to stdout or stderr, oldest first.</summary>
    public IReadOnlyList<string> LastLines(int count = 20)
    {
        lock (_lastLines)
        {
            return _lastLines.Skip(Math.Max(0, _lastLines.Count - count)).ToList();
        }
    }

    /// <summary>Graceful stop: SIGTERM (and stdin closed), then SIGKILL if it is still running after <paramref name="timeout"/>.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (HasExited)
        {
            return;
        }

        Signals.Send(Pid, Signals.SigTerm);
        CloseStandardInput();
        if (await Task.WhenAny(Exited, Task.Delay(timeout)) != Exited)
        {
            Kill();
            await Exited.WaitAsync(TimeSpan.FromSeconds(5));
        }
    }

    /// <summary>Writes a line to the child's stdin (the Launcher's prompt reads commands this way).</summary>
    public async Task WriteLineAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>Closes the child's stdin; children that watch it shut down gracefully.</summary>
    public void CloseStandardInput()
    {
        try
        {
            _process.StandardInput.Close();
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException)
        {
            // Already closed or the child is gone: either way there is nothing left to signal.
        }
    }

    /// <summary>SIGKILL, as an operator's <c>kill -9</c>.</summary>
    public void Kill()
    {
        if (!HasExited)
        {
            try
            {
                // The whole tree: a wrapper's children (runuser -> sh -> postgres) must not outlive it.
                _process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // It exited between the check and the kill.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(10));
        _process.Dispose();
        lock (_lastLines)
        {
            _log?.Dispose();
            _logClosed = true;
        }
    }

    private void Keep(string? line, TaskCompletionSource closed)
    {
        if (line is null)
        {
            closed.TrySetResult();
            return;
        }

        lock (_lastLines)
        {
            _lastLines.Enqueue(line);
            if (_lastLines.Count > KeptLines)
            {
                _lastLines.Dequeue();
            }

            if (!_logClosed)
            {
                _log?.WriteLine(line);
            }
        }
    }
}
