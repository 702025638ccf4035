namespace Foobar.Proxy.Health;

/// <summary>
/// One destination's failures in a row, forgetting those older than the window: HAProxy's <c>error-limit</c>
/// counts consecutive errors; the window keeps two failures an hour apart from ever adding up.
/// </summary>
internal sealed class ErrorWindow
{
    private readonly Lock _lock = new();
    private readonly Queue<DateTimeOffset> _failures = new();

    /// <summary>Records a failure at <paramref name="now"/>; returns the failures in a row within <paramref name="window"/>, this one included.</summary>
    public int RecordFailure(DateTimeOffset now, TimeSpan window)
    {
        lock (_lock)
        {
            _failures.Enqueue(now);
            while (_failures.Peek() <= now - window)
            {
                _failures.Dequeue();
            }

            return _failures.Count;
        }
    }

    /// <summary>A request the destination answered: the run of failures is broken.</summary>
    public void RecordSuccess()
    {
        lock (_lock)
        {
            _failures.Clear();
        }
    }

    public void Reset() => RecordSuccess();
}
