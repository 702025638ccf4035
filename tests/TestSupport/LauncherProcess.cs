using System.Text.Json;
using Foobar.Launcher.Processes;
using Foobar.Launcher.Stack;

namespace Foobar.TestSupport;

/// <summary>
/// The Launcher run as users run it, as a real process on ports of its own, with its data directory in a
/// temporary folder. Tests drive it through stdin commands and signals and find the stack through stack.json.
/// </summary>
public sealed class LauncherProcess : IAsyncDisposable
{
    private ChildProcess? _process;

    public LauncherProcess(string? dataDirectory = null, params string[] extraArguments)
        : this(dataDirectory, null, extraArguments)
    {
    }

    /// <summary>A Launcher on <paramref name="ports"/> (e.g. those of an earlier run), or on a fresh block.</summary>
    public LauncherProcess(string? dataDirectory, LauncherPorts? ports, params string[] extraArguments)
    {
        DataDirectory = dataDirectory ?? Path.Combine(Path.GetTempPath(), $"foobar-launcher-{Guid.NewGuid():N}");
        Ports = ports ?? LauncherPorts.Allocate();
        Arguments = [.. Ports.ToArguments(), "--data-dir", DataDirectory, .. extraArguments];
    }

    public string DataDirectory { get; }

    public LauncherPorts Ports { get; }

    public string[] Arguments { get; private set; }

    public ChildProcess Process => _process ?? throw new InvalidOperationException("not started");

    public string StackFilePath => Path.Combine(DataDirectory, "stack.json");

    public StackFile? Stack => File.Exists(StackFilePath) ? StackFile.Read(StackFilePath) : null;

    public string Output => string.Join("\n", _process?.LastLines(200) ?? []);

    /// <summary>Starts the Launcher with the given (or same) ports and waits for stack.json to say ready.</summary>
    public async Task<StackFile> StartAsync(TimeSpan? timeout = null)
    {
        Launch();
        return await WaitReadyAsync(timeout ?? TimeSpan.FromMinutes(3));
    }

    public ChildProcess Launch()
    {
        _process = ChildProcess.Start("dotnet", [ServicePaths.Dll("Launcher"), .. Arguments], workingDirectory: RepoPaths.Root);
        return _process;
    }

    public async Task<StackFile> WaitReadyAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_process!.HasExited)
            {
                throw new InvalidOperationException($"Launcher exited with {_process.Exited.Result}:\n{Output}");
            }

            try
            {
                if (Stack is { Ready: true, LauncherPid: var pid } stack && pid == _process.Pid)
                {
                    return stack;
                }
            }
            catch (Exception ex) when (ex is IOException or JsonException)
            {
                // Being rewritten at this moment.
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Launcher not ready after {timeout}:\n{Output}");
            }

            await Task.Delay(200);
        }
    }

    /// <summary>Types a command at the Launcher's prompt.</summary>
    public async Task SendAsync(string command)
    {
        await Process.WriteLineAsync(command);
    }

    public Task StopAsync() => _process?.StopAsync(TimeSpan.FromSeconds(60)) ?? Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }
    }
}
