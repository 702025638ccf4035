namespace Foobar.LoadBalancer.WebCluster;

/// <summary>
/// The last <see cref="Capacity"/> latencies of one web server, for the percentiles on /status and the dashboard.
/// Writers only bump an index and store a number (no lock on the request path); a reader copies and sorts. A
/// sample being overwritten while read only shifts a percentile by one sample, which a dashboard can live with.
/// </summary>
internal sealed class LatencyWindow
{
    public const int Capacity = 1024;

    private readonly double[] _milliseconds = new double[Capacity];
    private long _count;

    public void Add(double milliseconds)
    {
        var slot = Interlocked.Increment(ref _count) - 1;
        _milliseconds[slot % Capacity] = milliseconds;
    }

    /// <summary>p50, p90, p99 and max over the window, in milliseconds; null before the first sample.</summary>
    public LatencyPercentiles? Percentiles()
    {
        var count = (int)Math.Min(Interlocked.Read(ref _count), Capacity);
        if (count == 0)
        {
            return null;
        }

        var samples = _milliseconds.AsSpan(0, count).ToArray();
        Array.Sort(samples);
        return new LatencyPercentiles(At(samples, 0.50), At(samples, 0.90), At(samples, 0.99), samples[^1], count);
    }

    // Nearest-rank percentile: the smallest sample with at least p of the samples at or below it.
    private static double At(double[] sorted, double p) =>
        Math.Round(sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)], 2);
}
