using Foobar.Proxy.Health;

namespace Foobar.Proxy.Tests;

public sealed class ErrorWindowTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(10);

    [Fact]
    public void RecordFailure_InARowWithinWindow_Counts()
    {
        var window = new ErrorWindow();

        Assert.Equal(1, window.RecordFailure(Start, Window));
        Assert.Equal(2, window.RecordFailure(Start.AddSeconds(1), Window));
        Assert.Equal(3, window.RecordFailure(Start.AddSeconds(2), Window));
    }

    [Fact]
    public void RecordFailure_OlderThanWindow_Forgotten()
    {
        var window = new ErrorWindow();
        window.RecordFailure(Start, Window);
        window.RecordFailure(Start.AddSeconds(1), Window);

        Assert.Equal(2, window.RecordFailure(Start.AddSeconds(10.5), Window));
        Assert.Equal(1, window.RecordFailure(Start.AddSeconds(30), Window));
    }

    [Fact]
    public void RecordSuccess_BetweenFailures_BreaksTheRun()
    {
        var window = new ErrorWindow();
        window.RecordFailure(Start, Window);
        window.RecordFailure(Start, Window);

        window.RecordSuccess();

        Assert.Equal(1, window.RecordFailure(Start, Window));
    }
}
