using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Foobar.LoadBalancer.Tests.Failover;

/// <summary>
/// Clients polling the shared endpoint every 10 ms until stopped, recording every answer: some on a new connection per
/// request (what a failover must not refuse), some on kept-alive pooled connections (what a browser does).
/// </summary>
internal sealed class GetLoop : IAsyncDisposable
{
    private readonly List<Sample> _samples = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private readonly List<HttpClient> _clients = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly TimeSpan _pause;

    /// <param name="url">What to GET.</param>
    /// <param name="newConnectionLoops">Loops that open a new connection per request.</param>
    /// <param name="keepAliveLoops">Loops on one kept-alive connection.</param>
    /// <param name="clientFactory">Makes each loop's client from "keep alive?" (e.g. one whose sockets start in another network namespace).</param>
    /// <param name="pause">Between a loop's answer and its next request (10 ms unless given).</param>
    public GetLoop(Uri url, int newConnectionLoops = 2, int keepAliveLoops = 2, Func<bool, HttpClient>? clientFactory = null, TimeSpan? pause = null)
    {
        _pause = pause ?? TimeSpan.FromMilliseconds(10);
        for (var i = 0; i < newConnectionLoops + keepAliveLoops; i++)
        {
            var keepAlive = i >= newConnectionLoops;
            var client = clientFactory?.Invoke(keepAlive) ?? new HttpClient(new SocketsHttpHandler
            {
                PooledConnectionLifetime = keepAlive ? Timeout.InfiniteTimeSpan : TimeSpan.Zero,
                ConnectTimeout = TimeSpan.FromSeconds(2),
            })
            { Timeout = TimeSpan.FromSeconds(5) };
            client.DefaultRequestHeaders.ConnectionClose = !keepAlive;
            _clients.Add(client);
            _loops.Add(Task.Run(() => RunAsync(client, url, keepAlive)));
        }
    }

    public TimeSpan Elapsed => _clock.Elapsed;

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

    public IReadOnlyList<Sample> Failures => [.. Samples.Where(s => s.Status != HttpStatusCode.OK)];

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_loops);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync();
        }

        foreach (var client in _clients)
        {
            client.Dispose();
        }

        _stop.Dispose();
    }

    private async Task RunAsync(HttpClient client, Uri url, bool keepAlive)
    {
        while (!_stop.IsCancellationRequested)
        {
            var at = _clock.Elapsed;
            Sample sample;
            try
            {
                using var response = await client.GetAsync(url, CancellationToken.None);
                sample = new Sample(at, _clock.Elapsed, keepAlive, response.StatusCode, LoadBalancerPair.ViaLb(response), null);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException or SocketException)
            {
                sample = new Sample(at, _clock.Elapsed, keepAlive, null, null, ex.GetBaseException().Message);
            }

            lock (_samples)
            {
                _samples.Add(sample);
            }

            try
            {
                await Task.Delay(_pause, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    internal sealed record Sample(TimeSpan Sent, TimeSpan Answered, bool KeepAlive, HttpStatusCode? Status, string? Lb, string? Error)
    {
        public override string ToString() =>
            $"{Sent.TotalMilliseconds:0} ms {(KeepAlive ? "keep-alive" : "new connection")}: {(Status is { } s ? $"{(int)s} via {Lb}" : Error)}";
    }
}
