using Foobar.Launcher.Stack;

namespace Foobar.Launcher;

/// <summary>
/// The demo commands typed at the Launcher: status, kill NODE, stop NODE, start NODE, quit. NODE may be
/// <c>postgres</c> (the local cluster), so a database outage can be demonstrated too.
/// Standard input at EOF (or a pipe that closes) ends the prompt, not the stack: that waits for a signal.
/// </summary>
internal sealed class ConsolePrompt(StackRunner runner, StackConsole console, CancellationTokenSource shutdown)
{
    private const string Help = "commands: status | kill NODE (SIGKILL) | stop NODE (graceful) | start NODE | quit; NODE is a name from status, postgres included";

    public async Task RunAsync()
    {
        console.Line(Help);
        while (!shutdown.IsCancellationRequested)
        {
            console.Prompt();
            var line = await Console.In.ReadLineAsync(shutdown.Token).AsTask().ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : null);
            if (line is null)
            {
                return;
            }

            await ExecuteAsync(line.Trim());
        }
    }

    public async Task ExecuteAsync(string line)
    {
        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        try
        {
            switch (words)
            {
                case []:
                    return;
                case ["status"]:
                    console.Table(runner.Snapshot());
                    return;
                case ["quit" or "exit"]:
                    await shutdown.CancelAsync();
                    return;
                case ["kill" or "stop" or "start", var name] when name.Equals(StackRunner.PostgresName, StringComparison.OrdinalIgnoreCase):
                    await PostgresCommandAsync(words[0]);
                    return;
                case ["kill" or "stop" or "start", var name]:
                    await NodeCommandAsync(words[0], name);
                    return;
                default:
                    console.Line(Help);
                    return;
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or NodeStartException or TimeoutException)
        {
            console.Line($"error: {ex.Message}");
        }
    }

    private async Task NodeCommandAsync(string verb, string name)
    {
        if (runner.Find(name) is not { } node)
        {
            console.Line($"error: no node '{name}'; nodes: {string.Join(", ", runner.Snapshot().Select(n => n.Name))}");
            return;
        }

        switch (verb)
        {
            case "kill":
                await runner.KillNodeAsync(node);
                console.Line($"{node.Spec.Name} killed (SIGKILL)");
                break;
            case "stop":
                await runner.StopNodeAsync(node);
                console.Line($"{node.Spec.Name} stopped gracefully");
                break;
            default:
                console.Line($"starting {node.Spec.Name} ...");
                await runner.StartNodeAsync(node, shutdown.Token);
                console.Line($"{node.Spec.Name} is running (pid {node.Pid})");
                break;
        }
    }

    private async Task PostgresCommandAsync(string verb)
    {
        switch (verb)
        {
            case "kill":
                await runner.KillPostgresAsync();
                console.Line($"{StackRunner.PostgresName} killed (SIGKILL); the app servers answer 503 until `start {StackRunner.PostgresName}`");
                break;
            case "stop":
                await runner.StopPostgresAsync();
                console.Line($"{StackRunner.PostgresName} stopped (fast shutdown); the app servers answer 503 until `start {StackRunner.PostgresName}`");
                break;
            default:
                console.Line($"starting {StackRunner.PostgresName} ...");
                await runner.StartPostgresAsync(shutdown.Token);
                console.Line($"{StackRunner.PostgresName} is running");
                break;
        }
    }
}
