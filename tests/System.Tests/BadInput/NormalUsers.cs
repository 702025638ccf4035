using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;

namespace Foobar.System.Tests.BadInput;

/// <summary>
/// A few well-behaved users reading the board through the public endpoint in a loop (the page and the API),
/// recording every failure and every latency, to measure what bad input elsewhere does to them.
/// </summary>
internal sealed class NormalUsers
{
    private const int Users = 3;
    private static readonly string[] Paths = ["/api/messages?limit=5", "/"];

    private readonly Uri _endpoint;

    public NormalUsers(Uri endpoint) => _endpoint = endpoint;

    public async Task<Sample> RunAsync(TimeSpan duration)
    {
        var latencies = new ConcurrentBag<double>();
        var failures = new ConcurrentBag<string>();
        using var stop = new CancellationTokenSource(duration);
        await Task.WhenAll(Enumerable.Range(0, Users).Select(_ => Task.Run(async () =>
        {
            using var client = new HttpClient { BaseAddress = _endpoint, Timeout = TimeSpan.FromSeconds(10) };
            while (!stop.IsCancellationRequested)
            {
                foreach (var path in Paths)
                {
                    var watch = Stopwatch.StartNew();
                    try
                    {
                        using var response = await client.GetAsync(path);
                        await response.Content.ReadAsByteArrayAsync();
                        if (response.StatusCode != HttpStatusCode.OK)
                        {
                            failures.Add($"{path}: {(int)response.StatusCode}");
                        }
                    }
                    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                    {
                        failures.Add($"{path}: {ex.GetType().Name} {ex.Message}");
                    }

                    latencies.Add(watch.Elapsed.TotalMilliseconds);
                }
            }
        })));

        return new Sample([.. latencies.Order()], [.. failures]);
    }

    internal sealed record Sample(double[] SortedLatenciesMs, string[] Failures)
    {
        public int Count => SortedLatenciesMs.Length;

        public double P99 => SortedLatenciesMs.Length == 0 ? double.NaN : SortedLatenciesMs[(int)Math.Ceiling(0.99 * SortedLatenciesMs.Length) - 1];

        public override string ToString() => $"{Count} requests, p99 {P99:F1} ms, {Failures.Length} failures";
    }
}
