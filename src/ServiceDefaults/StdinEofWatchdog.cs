using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Foobar.ServiceDefaults;

/// <summary>
/// Stops the service gracefully when its standard input reaches end of file. The Launcher holds our stdin
/// pipe open; if the Launcher dies, even by SIGKILL, the kernel closes the pipe and we exit instead of
/// living on as an orphan. Enabled only when <c>FOOBAR_STOP_ON_STDIN_EOF=1</c> (<see cref="ServiceEnvironment"/>), so a service started
/// from a terminal or under Docker (stdin is /dev/null) is unaffected.
/// </summary>
internal sealed partial class StdinEofWatchdog(IHostApplicationLifetime lifetime, ILogger<StdinEofWatchdog> logger) : BackgroundService
{
    public static bool Enabled => Environment.GetEnvironmentVariable(ServiceEnvironment.StopOnStdinEofVariable) == "1";

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // A dedicated thread: Console stdin reads block and cannot be cancelled.
        var thread = new Thread(() =>
        {
            using var stdin = Console.OpenStandardInput();
            var buffer = new byte[256];
            try
            {
                while (stdin.Read(buffer, 0, buffer.Length) > 0)
                {
                }
            }
            catch (IOException)
            {
                // A broken pipe means the same as EOF: the parent is gone.
            }

            if (!stoppingToken.IsCancellationRequested)
            {
                Log.ParentGone(logger);
                lifetime.StopApplication();
            }
        })
        { IsBackground = true, Name = "stdin-eof-watchdog" };
        thread.Start();
        return Task.CompletedTask;
    }
}
