using System.Diagnostics;
using Foobar.LoadBalancer.Election;

namespace Foobar.LoadBalancer.Tests.Election;

public sealed class DedicatedThreadTimeProviderTests
{
    [Fact]
    public void Timer_ThreadPoolBusy_FiresOnTimeOnItsOwnThread()
    {
        // Every thread-pool thread blocked, and a queue of work behind them: a thread-pool timer callback would wait.
        var released = false;
        var blockedUntil = Stopwatch.StartNew();
        ThreadPool.GetMinThreads(out var workers, out _);
        for (var i = 0; i < (workers * 4) + 16; i++)
        {
            ThreadPool.UnsafeQueueUserWorkItem(
                _ =>
                {
                    while (!Volatile.Read(ref released) && blockedUntil.Elapsed < TimeSpan.FromSeconds(10))
                    {
                        Thread.Sleep(5);
                    }
                },
                null);
        }

        try
        {
            using var fired = new ManualResetEventSlim();
            var at = TimeSpan.Zero;
            string? thread = null;
            var clock = Stopwatch.StartNew();
            using var timer = DedicatedThreadTimeProvider.Instance.CreateTimer(
                _ =>
                {
                    at = clock.Elapsed;
                    thread = Thread.CurrentThread.Name;
                    fired.Set();
                },
                null,
                TimeSpan.FromMilliseconds(50),
                Timeout.InfiniteTimeSpan);

            // Waited on the test's own thread: an await would need the blocked pool.
            Assert.True(fired.Wait(TimeSpan.FromSeconds(5)), "the timer did not fire while the thread pool was busy");
            Assert.Equal("election timers", thread);
            Assert.InRange(at, TimeSpan.FromMilliseconds(45), TimeSpan.FromMilliseconds(400));
        }
        finally
        {
            Volatile.Write(ref released, true);
        }
    }

    [Fact]
    public void Timer_ChangedOrDisposedBeforeDue_OnlyTheLastScheduleFires()
    {
        var calls = new List<string>();
        using var done = new ManualResetEventSlim();
        var moved = DedicatedThreadTimeProvider.Instance.CreateTimer(_ => { lock (calls) { calls.Add("moved"); } done.Set(); }, null, TimeSpan.FromMilliseconds(30), Timeout.InfiniteTimeSpan);
        var disposed = DedicatedThreadTimeProvider.Instance.CreateTimer(_ => { lock (calls) { calls.Add("disposed"); } }, null, TimeSpan.FromMilliseconds(30), Timeout.InfiniteTimeSpan);

        moved.Change(TimeSpan.FromMilliseconds(120), Timeout.InfiniteTimeSpan);
        disposed.Dispose();

        Assert.True(done.Wait(TimeSpan.FromSeconds(5)));
        Thread.Sleep(150);
        lock (calls)
        {
            Assert.Equal(["moved"], calls);
        }

        moved.Dispose();
    }

    [Fact]
    public void Timer_Periodic_FiresRepeatedlyUntilDisposed()
    {
        var count = 0;
        var timer = DedicatedThreadTimeProvider.Instance.CreateTimer(_ => Interlocked.Increment(ref count), null, TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(20));
        Thread.Sleep(300);
        timer.Dispose();
        var atDispose = Volatile.Read(ref count);
        Thread.Sleep(100);

        Assert.InRange(atDispose, 3, 20);
        Assert.InRange(Volatile.Read(ref count), atDispose, atDispose + 1);
    }
}
