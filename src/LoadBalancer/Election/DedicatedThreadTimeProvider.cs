namespace Foobar.LoadBalancer.Election;

/// <summary>
/// The system clock, with timers whose callbacks run on one thread of their own instead of the thread pool. The
/// election's advertisement and Master_Down timers must fire on time when the process is busy: while 10 000
/// connections were being opened to lb-1, its thread pool queue held the advertisement callback back for longer than
/// Master_Down_Interval and lb-2 took over a leader that was running all along. keepalived gets this from being a
/// single-purpose process; here it is a thread that does nothing else. Callbacks run one at a time and must be short.
/// </summary>
internal sealed class DedicatedThreadTimeProvider : TimeProvider
{
    private readonly object _gate = new(); // Monitor.Wait/Pulse need an object, not a Lock
    private readonly PriorityQueue<(ThreadTimer Timer, long Version), long> _due = new();

    private DedicatedThreadTimeProvider()
    {
        new Thread(Run) { IsBackground = true, Name = "election timers" }.Start();
    }

    public static DedicatedThreadTimeProvider Instance { get; } = new();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ThreadTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    private void Schedule(ThreadTimer timer, long version, TimeSpan due)
    {
        lock (_gate)
        {
            _due.Enqueue((timer, version), GetTimestamp() + (long)(due.TotalSeconds * TimestampFrequency));
            Monitor.PulseAll(_gate);
        }
    }

    private void Run()
    {
        while (true)
        {
            ThreadTimer timer;
            long version;
            lock (_gate)
            {
                while (true)
                {
                    if (_due.TryPeek(out var next, out var at))
                    {
                        var wait = at - GetTimestamp();
                        if (wait <= 0)
                        {
                            _due.Dequeue();
                            (timer, version) = next;
                            break;
                        }

                        Monitor.Wait(_gate, TimeSpan.FromSeconds(Math.Min((double)wait / TimestampFrequency, 1)));
                    }
                    else
                    {
                        Monitor.Wait(_gate);
                    }
                }
            }

            timer.Fire(version);
        }
    }

    private sealed class ThreadTimer(DedicatedThreadTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        private long _version;
        private TimeSpan _period = Timeout.InfiniteTimeSpan;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            var version = Interlocked.Increment(ref _version);
            if (version < 0)
            {
                return false;
            }

            _period = period;
            if (dueTime != Timeout.InfiniteTimeSpan)
            {
                owner.Schedule(this, version, dueTime < TimeSpan.Zero ? TimeSpan.Zero : dueTime);
            }

            return true;
        }

        public void Fire(long version)
        {
            // A Change or Dispose since this was scheduled supersedes it.
            if (Volatile.Read(ref _version) != version)
            {
                return;
            }

            try
            {
                callback(state);
            }
            finally
            {
                if (_period > TimeSpan.Zero && _period != Timeout.InfiniteTimeSpan && Volatile.Read(ref _version) == version)
                {
                    owner.Schedule(this, version, _period);
                }
            }
        }

        public void Dispose() => Interlocked.Exchange(ref _version, long.MinValue);

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
