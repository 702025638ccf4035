namespace Foobar.Containers.Tests.Support;

/// <summary>
/// A test class that disturbs the shared stack (kills, scales, restarts): it starts once the stack is healthy and
/// leaves it healthy for the next class, waiting up to <see cref="HealthyWithin"/> either way.
/// </summary>
public abstract class StackDisturbingTests(ComposeStackFixture stack) : IAsyncLifetime
{
    protected static readonly TimeSpan HealthyWithin = TimeSpan.FromMinutes(3);

    protected ComposeStackFixture Stack { get; } = stack;

    public Task InitializeAsync() => Stack.WaitHealthyAsync(HealthyWithin);

    public Task DisposeAsync() => Stack.WaitHealthyAsync(HealthyWithin);
}
