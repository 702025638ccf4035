using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Foobar.FailoverBench;

/// <summary>
/// A client polling the endpoint every 10 ms (a new connection per request unless <c>keepAlive</c>), recording when
/// each request was sent and answered, whether it was a 200, and which LB its Via header names.
/// </summary>
internal sealed class Poller : IAsyncDisposable
{
    private readonly HttpClient _client;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Sample> _samples = [];
    private readonly Task _loop;
    private readonly bool _keepAlive;

    /// <summary>When each connection was opened: a failure on a kept-alive client says whether it was a reused one.</summary>
    private readonly List<TimeSpan> _connects = [];

    public Poller(Uri url, Stopwatch clock, bool keepAlive)
    {
        _client = new HttpClient(new SocketsHttpHandler
        {
            PooledConnectionLifetime = keepAlive ? Timeout.InfiniteTimeSpan : TimeSpan.Zero,
            // A SYN dropped in an address-mode handover is retransmitted after 1 s: a delay, measured, not a failure.
            ConnectTimeout = TimeSpan.FromSeconds(3),
            ConnectCallback = async (context, cancellationToken) =>
            {
                lock (_connects)
                {
                    _connects.Add(clock.Elapsed);
                }

                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        })
        { Timeout = TimeSpan.FromSeconds(5) };
        _client.DefaultRequestHeaders.ConnectionClose = !keepAlive;
        _keepAlive = keepAlive;
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

    /// <summary>
    /// Kept alive: one request after another on one connection, as a browser tab does. New connections: a request every
    /// 10 ms whether or not the previous one has answered (open loop), so that a request stuck on a frozen process does
    /// not hide that the ones sent after it were served.
    /// </summary>
    private async Task RunAsync(Uri url, Stopwatch clock)
    {
        var inFlight = new List<Task>();
        while (!_stop.IsCancellationRequested)
        {
            var request = RequestAsync(url, clock);
            if (_keepAlive)
            {
                await request;
            }
            else
            {
                inFlight.Add(request);
                inFlight.RemoveAll(t => t.IsCompleted);
            }

            try
            {
                await Task.Delay(10, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        await Task.WhenAll(inFlight);
    }

    private async Task RequestAsync(Uri url, Stopwatch clock)
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
            var outcome = ex.GetBaseException().Message;
            if (_keepAlive)
            {
                lock (_connects)
                {
                    var opened = _connects.LastOrDefault(c => c <= sent);
                    outcome += $" (connection opened {(sent - opened).TotalMilliseconds:0} ms before it was sent, {_connects.Count(c => c > sent)} opened since; {ex.GetType().Name}/{(ex as HttpRequestException)?.HttpRequestError})";
                }
            }

            sample = new Sample(sent, clock.Elapsed, false, null, outcome);
        }

        lock (_samples)
        {
            _samples.Add(sample);
        }
    }

    internal sealed record Sample(TimeSpan Sent, TimeSpan Answered, bool Ok, string? Lb, string Outcome);
}
