using System.Diagnostics;

namespace Foobar.LoadBalancer.Election.Endpoint;

/// <summary>
/// Notices that this whole process did not run for a while: SIGSTOP / <c>docker pause</c>, a hung VM, a very long GC
/// pause. A dedicated thread (not the thread pool, whose starvation is a different problem) sleeps a few milliseconds
/// at a time on the monotonic clock, which keeps counting while the process is stopped; a gap much longer than the
/// sleep means the process was frozen, and <see cref="Stalled"/> fires as soon as it runs again, before the election's
/// timers (which the thread pool runs) had a chance to act on a stale view.
/// </summary>
internal sealed class StallWatchdog : IDisposable
{
    private readonly TimeSpan _tick;
    private readonly TimeSpan _report;
    private readonly Action<TimeSpan> _stalled;
    private readonly Thread _thread;
    private volatile bool _stopped;

    /// <param name="tick">How often the thread wakes.</param>
    /// <param name="report">The shortest gap worth reporting.</param>
    /// <param name="stalled">Called on the watchdog thread with the length of the gap.</param>
    public StallWatchdog(TimeSpan tick, TimeSpan report, Action<TimeSpan> stalled)
    {
        _tick = tick;
        _report = report;
        _stalled = stalled;
        _thread = new Thread(Run) { IsBackground = true, Name = "election stall watchdog" };
    }

    public void Start() => _thread.Start();

    public void Dispose() => _stopped = true;

    private void Run()
    {
        var last = Stopwatch.GetTimestamp();
        while (!_stopped)
        {
            Thread.Sleep(_tick);
            var now = Stopwatch.GetTimestamp();
            var gap = Stopwatch.GetElapsedTime(last, now);
            last = now;
            if (gap >= _report && !_stopped)
            {
                _stalled(gap);
            }
        }
    }
}
