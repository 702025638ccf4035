using System.Collections.Concurrent;
using System.Diagnostics;

namespace Foobar.Deployment.Tests.Support;

/// <summary>
/// A client that asks the site every 50 ms on a new connection each time and gives up on a request after 1 s, as a
/// user reloading a page would, recording when each answer came and which load balancer served it (its hop in the
/// <c>Via</c> header). A failover is read off it afterwards: when the other load balancer first answered, and the
/// longest time without any answer.
/// </summary>
internal sealed class FailoverProbe : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<(TimeSpan At, string? Lb)> _answers = new();
    private readonly ConcurrentQueue<string> _failures = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Task _loop;

    public FailoverProbe(Uri endpoint)
    {
        _loop = Task.Run(() => RunAsync(endpoint));
    }

    public TimeSpan Elapsed => _clock.Elapsed;

    public IReadOnlyCollection<string> Failures => _failures;

    public int Answered => _answers.Count;

    /// <summary>The first answer at or after <paramref name="since"/> that <paramref name="lb"/> served, if any yet.</summary>
    public TimeSpan? FirstAnswerFrom(string lb, TimeSpan since) =>
        _answers.Where(a => a.At >= since && a.Lb == lb).Select(a => (TimeSpan?)a.At).FirstOrDefault();

    /// <summary>The longest time between two answers (or from <paramref name="since"/> to the first) after <paramref name="since"/>.</summary>
    public TimeSpan LongestGap(TimeSpan since, TimeSpan until)
    {
        var times = _answers.Select(a => a.At).Where(t => t >= since && t <= until).Prepend(since).Append(until).Order().ToList();
        return times.Zip(times.Skip(1), (a, b) => b - a).DefaultIfEmpty().Max();
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _loop;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    private async Task RunAsync(Uri endpoint)
    {
        using var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero, ConnectTimeout = TimeSpan.FromSeconds(1) };
        using var client = new HttpClient(handler) { BaseAddress = endpoint, Timeout = TimeSpan.FromSeconds(1) };
        client.DefaultRequestHeaders.Host = "www.foobar.com";
        client.DefaultRequestHeaders.ConnectionClose = true;
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                using var response = await client.GetAsync(new Uri("/", UriKind.Relative), _stop.Token);
                await response.Content.ReadAsByteArrayAsync(_stop.Token);
                if (response.IsSuccessStatusCode)
                {
                    var lb = response.Headers.Via.Select(v => v.ReceivedBy).LastOrDefault(r => r.StartsWith("lb-", StringComparison.Ordinal));
                    _answers.Enqueue((_clock.Elapsed, lb));
                }
                else
                {
                    _failures.Enqueue($"{_clock.Elapsed.TotalSeconds:F2}s {(int)response.StatusCode}");
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
            {
                _failures.Enqueue($"{_clock.Elapsed.TotalSeconds:F2}s {ex.GetType().Name}");
            }

            await Task.Delay(50, CancellationToken.None);
        }
    }
}
