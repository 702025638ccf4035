using System.Diagnostics;
using System.Globalization;
using Prometheus;

namespace Foobar.ServiceDefaults;

/// <summary>
/// The process_* and dotnet_* families prometheus-net's own _process collector exports (CPU, memory, _threads, start
/// time, GC counts), which the stack dashboard and the alert rules read, without <c>process_open_handles</c>. Reading
/// that one makes .NET stat every entry of /proc/self/fd twice, on every scrape: with each tier scraped once a second by
/// both load balancers' stack monitors, that was 5% of the web tier's CPU and 2% of the load balancer's under load, in
/// a number nothing here reads (bench/README.md, issue 14). Call <see cref="ReplaceDefault"/> before the first scrape.
/// </summary>
public sealed class ProcessMetrics
{
    private static int _registered;

    private readonly Process _process = Process.GetCurrentProcess();
    private readonly Lock _updating = new();
    private readonly Counter.Child[] _collections;
    private readonly Counter _cpu;
    private readonly Gauge _virtualMemory;
    private readonly Gauge _workingSet;
    private readonly Gauge _privateMemory;
    private readonly Gauge _threads;
    private readonly Gauge _managedMemory;

    private ProcessMetrics(IMetricFactory metrics)
    {
        // Names and help texts as prometheus-net's (and Go's) _process collector writes them.
        var collectionCount = metrics.CreateCounter("dotnet_collection_count_total", "GC collection count", ["generation"]);
        _collections = [.. Enumerable.Range(0, GC.MaxGeneration + 1).Select(g => collectionCount.WithLabels(g.ToString(CultureInfo.InvariantCulture)))];
        _cpu = metrics.CreateCounter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.");
        _virtualMemory = metrics.CreateGauge("process_virtual_memory_bytes", "Virtual memory size in bytes.");
        _workingSet = metrics.CreateGauge("process_working_set_bytes", "Process working set");
        _privateMemory = metrics.CreateGauge("process_private_memory_bytes", "Process private memory size");
        _threads = metrics.CreateGauge("process_num_threads", "Total number of threads");
        _managedMemory = metrics.CreateGauge("dotnet_total_memory_bytes", "Total known allocated memory");
        metrics.CreateGauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.")
            .Set(new DateTimeOffset(_process.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds() / 1000.0);
    }

    /// <summary>Switches prometheus-net's _process collector off in the default registry and this one on, once per _process.</summary>
    public static void ReplaceDefault()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 1)
        {
            return;
        }

        // Takes effect at the registry's first collection, where prometheus-net registers its default collectors.
        Metrics.SuppressDefaultMetrics(new SuppressDefaultMetricOptions { SuppressProcessMetrics = true });
        var instance = new ProcessMetrics(Metrics.WithCustomRegistry(Metrics.DefaultRegistry));
        Metrics.DefaultRegistry.AddBeforeCollectCallback(instance.Update);
    }

    private void Update()
    {
        // Process is not thread-safe, and two scrapes can overlap.
        lock (_updating)
        {
            _process.Refresh();
            for (var generation = 0; generation < _collections.Length; generation++)
            {
                _collections[generation].IncTo(GC.CollectionCount(generation));
            }

            _cpu.IncTo(_process.TotalProcessorTime.TotalSeconds);
            _virtualMemory.Set(_process.VirtualMemorySize64);
            _workingSet.Set(_process.WorkingSet64);
            _privateMemory.Set(_process.PrivateMemorySize64);
            _threads.Set(_process.Threads.Count);
            _managedMemory.Set(GC.GetTotalMemory(forceFullCollection: false));
        }
    }
}
