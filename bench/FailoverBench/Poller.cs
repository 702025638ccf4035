using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Foobar.FailoverBench;

/// <summary>
/// A client polling the endpoint every 10 ms (a new connection per request unless <c>keepAlive</c>), recording when
/// each answer came back, whether it was a 200, and which LB its Via header names.
/// </summary>
internal sealed class Poller : IAsyncDisposable
{
    private readonly HttpClient _client;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Sample> _samples = [];
    private readonly Task _loop;

    public Poller(Uri url, Stopwatch clock, bool keepAlive)
    {
        _client = new HttpClient(new SocketsHttpHandler
        {
            PooledConnectionLifetime = keepAlive ? Timeout.InfiniteTimeSpan : TimeSpan.Zero,
            // A SYN dropped in an address-mode handover is retransmitted after 1 s: a delay, measured, not a failure.
            ConnectTimeout = TimeSpan.FromSeconds(3),
        })
        { Timeout = TimeSpan.FromSeconds(5) };
        _client.DefaultRequestHeaders.ConnectionClose = !keepAlive;
        _loop = Task.Run(() => RunAsync(url, clock));
    }

    public IReadOnlyList<Sample> Samples
    {
        get
        {
            lock (_samples)
            {
                return [.. _samples];
            }
        }
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _loop;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync();
        }

        _client.Dispose();
        _stop.Dispose();
    }

    private async Task RunAsync(Uri url, Stopwatch clock)
    {
        while (!_stop.IsCancellationRequested)
        {
            var sent = clock.Elapsed;
            Sample sample;
            try
            {
                using var response = await _client.GetAsync(url);
                var via = response.Headers.Via.Select(v => v.ReceivedBy).LastOrDefault() ?? "?";
                sample = new Sample(sent, clock.Elapsed, response.StatusCode == HttpStatusCode.OK, via, response.StatusCode.ToString());
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException or SocketException)
            {
                sample = new Sample(sent, clock.Elapsed, false, null, ex.GetBaseException().Message);
            }

            lock (_samples)
            {
                _samples.Add(sample);
            }

            try
            {
                await Task.Delay(10, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    internal sealed record Sample(TimeSpan Sent, TimeSpan Answered, bool Ok, string? Lb, string Outcome);
}
