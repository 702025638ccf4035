using System.Collections.Concurrent;
using System.Diagnostics;

namespace Foobar.Deployment.Tests.Support;

/// <summary>
/// Clients that GET the site and the API through the public endpoint without pause, as a user's browser would during
/// an operation, counting every answer: a failure is a transport error, a timeout (30 s) or any status other than 2xx.
/// </summary>
internal sealed class RequestLoop : IAsyncDisposable
{
    private static readonly string[] Paths = ["/", "/api/messages?limit=1"];
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<string> _failures = new();
    private readonly List<Task> _clients;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _succeeded;

    public RequestLoop(Uri endpoint, int clients = 2)
    {
        _clients = [.. Enumerable.Range(0, clients).Select(_ => Task.Run(() => RunAsync(endpoint)))];
    }

    public int Succeeded => Volatile.Read(ref _succeeded);

    public IReadOnlyCollection<string> Failures => _failures;

    public async Task<RequestLoop> StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_clients);
        return this;
    }

    public override string ToString() =>
        $"{Succeeded} succeeded, {Failures.Count} failed{(Failures.Count > 0 ? ": " + string.Join("; ", Failures.Take(10)) : "")}";

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    private async Task RunAsync(Uri endpoint)
    {
        // Connections are reused, as a browser's are, and renewed every few seconds so new tasks get their share.
        using var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromSeconds(2), ConnectTimeout = TimeSpan.FromSeconds(5) };
        using var client = new HttpClient(handler) { BaseAddress = endpoint, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Host = "www.foobar.com";
        for (var i = 0; !_stop.IsCancellationRequested; i++)
        {
            var path = Paths[i % Paths.Length];
            try
            {
                using var response = await client.GetAsync(new Uri(path, UriKind.Relative), _stop.Token);
                await response.Content.ReadAsByteArrayAsync(_stop.Token);
                if (response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref _succeeded);
                }
                else
                {
                    _failures.Enqueue($"{_clock.Elapsed.TotalSeconds:F1}s GET {path}: {(int)response.StatusCode} from {string.Join(',', response.Headers.TryGetValues("X-Served-By", out var by) ? by : ["?"])}");
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
            {
                _failures.Enqueue($"{_clock.Elapsed.TotalSeconds:F1}s GET {path}: {ex.GetType().Name} {ex.Message}");
            }

            await Task.Delay(20, CancellationToken.None);
        }
    }
}
