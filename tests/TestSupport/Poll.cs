using System.Diagnostics;

namespace Foobar.TestSupport;

/// <summary>Waits for a condition the test cannot be told about (a process, a socket, a background timer).</summary>
public static class Poll
{
    private static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Checks <paramref name="condition"/> every <paramref name="interval"/> (50 ms by default) until it holds and
    /// returns how long that took; fails the test naming <paramref name="what"/> after <paramref name="timeout"/>.
    /// </summary>
    public static async Task<TimeSpan> UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what = "condition", TimeSpan? interval = null)
    {
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(watch.Elapsed < timeout, $"{what} not met within {timeout.TotalSeconds} s");
            await Task.Delay(interval ?? DefaultInterval);
        }

        return watch.Elapsed;
    }

    /// <inheritdoc cref="UntilAsync(Func{Task{bool}}, TimeSpan, string, TimeSpan?)"/>
    public static Task<TimeSpan> UntilAsync(Func<bool> condition, TimeSpan timeout, string what = "condition", TimeSpan? interval = null) =>
        UntilAsync(() => Task.FromResult(condition()), timeout, what, interval);

    /// <summary>
    /// Checks every <paramref name="interval"/> until <paramref name="check"/> returns null (nothing left to wait for);
    /// after <paramref name="timeout"/> throws a <see cref="TimeoutException"/> carrying the check's last answer, which
    /// says what was still missing (a target down, an alert not firing).
    /// </summary>
    public static async Task UntilNothingLeftAsync(Func<Task<string?>> check, TimeSpan timeout, TimeSpan interval)
    {
        var watch = Stopwatch.StartNew();
        string? last;
        while ((last = await check()) is not null)
        {
            if (watch.Elapsed > timeout)
            {
                throw new TimeoutException($"after {timeout.TotalSeconds} s: {last}");
            }

            await Task.Delay(interval);
        }
    }
}
