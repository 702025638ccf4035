using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Foobar.TestSupport;

namespace Foobar.Containers.Tests.Support;

/// <summary>
/// A client at work while containers fail: GET loops (the page and the API) and POST loops that retry with the same
/// Idempotency-Key, as the site's script does. Records every failed GET, the longest time without a successful GET,
/// and every acknowledged post (key -> id), so a test can check that each one is stored exactly once.
/// </summary>
internal sealed class Traffic
{
    private readonly HttpClient _client;
    private readonly string _prefix;
    private readonly CancellationTokenSource _stop = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ConcurrentQueue<string> _failedGets = new();
    private readonly ConcurrentQueue<HttpStatusCode> _apiStatuses = new();
    private readonly ConcurrentDictionary<string, long> _posts = new();
    private readonly List<Task> _loops = [];
    private readonly object _gapLock = new();
    private TimeSpan _lastGetSuccess;
    private TimeSpan _longestGap;
    private int _gets;
    private int _cutResponses;

    private Traffic(HttpClient client, string prefix)
    {
        _client = client;
        _prefix = prefix;
    }

    public static Traffic Start(HttpClient client, string prefix, int getLoops = 2, int postLoops = 2)
    {
        var traffic = new Traffic(client, prefix);
        for (var i = 0; i < getLoops; i++)
        {
            traffic._loops.Add(Task.Run(traffic.GetLoopAsync));
        }

        for (var i = 0; i < postLoops; i++)
        {
            var worker = i;
            traffic._loops.Add(Task.Run(() => traffic.PostLoopAsync(worker)));
        }

        return traffic;
    }

    public IReadOnlyCollection<string> FailedGets => _failedGets;

    /// <summary>GETs whose answer had begun (headers in) when its body broke off, reloaded once as a browser would.</summary>
    public int CutResponses => _cutResponses;

    /// <summary>Time since the traffic started, the clock of the <see cref="FailedGets"/> entries.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>Status codes of the API GETs, in order (a database outage shows as 503s).</summary>
    public IReadOnlyCollection<HttpStatusCode> ApiStatuses => _apiStatuses;

    public IReadOnlyDictionary<string, long> Posts => _posts;

    public int Gets => _gets;

    /// <summary>The longest time between two successful GETs (as a client sees an outage).</summary>
    public TimeSpan LongestGap
    {
        get
        {
            lock (_gapLock)
            {
                return _longestGap;
            }
        }
    }

    /// <summary>Forgets the longest gap so far, so that the next one measured is the failure's, not the warm-up's.</summary>
    public void ResetLongestGap()
    {
        lock (_gapLock)
        {
            _longestGap = TimeSpan.Zero;
        }
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_loops);
    }

    /// <summary>Every acknowledged post is stored exactly once: re-posting its key returns its id, and the board holds one message per key.</summary>
    public async Task AssertEveryPostStoredOnceAsync()
    {
        foreach (var (key, id) in _posts)
        {
            using var again = await _client.SendAsync(PostRequest(key));
            Assert.Equal(HttpStatusCode.Created, again.StatusCode);
            Assert.Equal(id, (await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64());
        }

        var stored = await Board.TextsWithPrefixAsync(_client, _prefix);
        Assert.Equal(_posts.Count, stored.Count);
        Assert.Equal(_posts.Keys.Order(), stored.Select(t => t.Split(' ')[0]).Order());
    }

    private async Task GetLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            foreach (var path in new[] { "/", "/api/messages?limit=5" })
            {
                try
                {
                    using var response = await GetOrReloadCutResponseAsync(path);
                    if (path.StartsWith("/api", StringComparison.Ordinal))
                    {
                        _apiStatuses.Enqueue(response.StatusCode);
                    }

                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        Succeeded();
                    }
                    else
                    {
                        _failedGets.Enqueue($"{_clock.Elapsed.TotalSeconds:F1}s {path}: {(int)response.StatusCode}");
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    _failedGets.Enqueue($"{_clock.Elapsed.TotalSeconds:F1}s {path}: {ex.GetType().Name} {ex.Message}");
                    await Task.Delay(20);
                }

                Interlocked.Increment(ref _gets);
            }
        }
    }

    // A response cut mid-body by a container's SIGKILL is reloaded once, as a browser would (TestSupport's
    // BrowserReload), and counted; refused, reset before an answer and 5xx still count as failed GETs.
    private async Task<HttpResponseMessage> GetOrReloadCutResponseAsync(string path)
    {
        var (response, reloaded) = await _client.GetReloadingCutResponseAsync(path);
        if (reloaded)
        {
            Interlocked.Increment(ref _cutResponses);
        }

        return response;
    }

    private void Succeeded()
    {
        lock (_gapLock)
        {
            var now = _clock.Elapsed;
            if (_lastGetSuccess != TimeSpan.Zero && now - _lastGetSuccess > _longestGap)
            {
                _longestGap = now - _lastGetSuccess;
            }

            _lastGetSuccess = now;
        }
    }

    private async Task PostLoopAsync(int worker)
    {
        for (var i = 0; !_stop.IsCancellationRequested; i++)
        {
            var key = $"{_prefix}-{worker}-{i}";
            _posts[key] = await PostWithRetriesAsync(key);
        }
    }

    /// <summary>The same key on every attempt, retried on network errors and 502/503/504 for up to a minute.</summary>
    private async Task<long> PostWithRetriesAsync(string key)
    {
        var deadline = _clock.Elapsed + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                using var response = await _client.SendAsync(PostRequest(key));
                if (response.StatusCode == HttpStatusCode.Created)
                {
                    return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
                }

                Assert.True(
                    response.StatusCode is HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout,
                    $"POST {key} got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Retried below with the same key.
            }

            Assert.True(_clock.Elapsed < deadline, $"POST {key} still failing after a minute of retries");
            await Task.Delay(250);
        }
    }

    private static HttpRequestMessage PostRequest(string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/messages") { Content = JsonContent.Create(new { author = "containers-test", text = $"{key} posted under failure" }) };
        request.Headers.Add("Idempotency-Key", key);
        return request;
    }
}
