using Foobar.Launcher.Stack;
using Foobar.TestSupport;

namespace Foobar.System.Tests;

/// <summary>The whole stack, started by the Launcher exactly as a user starts it, shared by a collection.</summary>
public sealed class StackFixture : IAsyncLifetime
{
    public LauncherProcess Launcher { get; } = new();

    public StackFile Stack { get; private set; } = null!;

    public Uri Endpoint => new(Stack.Endpoint);

    public async Task InitializeAsync() => Stack = await Launcher.StartAsync();

    public StackFileNode Node(string name) => Launcher.Stack!.Nodes.Single(n => n.Name == name);

    /// <summary>Waits until stack.json shows <paramref name="name"/> in <paramref name="state"/>.</summary>
    public async Task WaitForStateAsync(string name, string state, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Launcher.Stack?.Nodes.SingleOrDefault(n => n.Name == name)?.State != state)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{name} not {state} after {timeout}:\n{Launcher.Output}");
            }

            await Task.Delay(100);
        }
    }

    public async Task DisposeAsync()
    {
        await Launcher.StopAsync();
        await Launcher.DisposeAsync();
    }
}
