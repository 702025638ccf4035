using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Foobar.System.Tests.BadInput;

/// <summary>
/// What a hostile or broken client does, one method per kind of bad input (issue 10). Each runs until cancelled and
/// checks the answer it gets where there is one, returning how many bad requests it made.
/// </summary>
internal static class Abuse
{
    // One buffer for every oversized body: a new 1 MiB array per POST is a large-object allocation, and at ~40 a second
    // the test process's own gen2 collections paused the normal users' requests it measures beside them.
    private static readonly byte[] OneMebibyte = new byte[1024 * 1024];

    /// <summary>POSTs of 1 MB to the API: over the app's 64 KiB, under the LB's 10 MiB. The web tier answers 413.</summary>
    public static Task<int> OversizedBodiesAsync(Uri endpoint, CancellationToken stop) =>
        PostLoopAsync(endpoint, stop, () => new ByteArrayContent(OneMebibyte) { Headers = { ContentType = new("application/json") } }, HttpStatusCode.RequestEntityTooLarge);

    public static Task<int> MalformedJsonAsync(Uri endpoint, CancellationToken stop) =>
        PostLoopAsync(endpoint, stop, () => new StringContent("{\"author\": \"x\", \"text\": ", Encoding.UTF8, "application/json"), HttpStatusCode.BadRequest);

    /// <summary>A JSON body whose text field holds bytes that are not UTF-8 (0xC3 0x28, 0xFF).</summary>
    public static Task<int> InvalidUtf8Async(Uri endpoint, CancellationToken stop) =>
        PostLoopAsync(
            endpoint,
            stop,
            () => new ByteArrayContent([.. "{\"author\":\"x\",\"text\":\""u8, 0xC3, 0x28, 0xFF, .. "\"}"u8]) { Headers = { ContentType = new("application/json") } },
            HttpStatusCode.BadRequest);

    /// <summary>Requests for hosts this load balancer does not serve: 421 Misdirected Request, in bursts from 8 clients.</summary>
    public static async Task<int> MisdirectedHostsAsync(Uri endpoint, CancellationToken stop)
    {
        var counts = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            using var client = new HttpClient { BaseAddress = endpoint, Timeout = TimeSpan.FromSeconds(10) };
            var sent = 0;
            while (!stop.IsCancellationRequested)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/api/messages") { Headers = { Host = $"evil-{sent % 50}.example" } };
                using var response = await client.SendAsync(request, CancellationToken.None);
                Assert.Equal(HttpStatusCode.MisdirectedRequest, response.StatusCode);
                sent++;
            }

            return sent;
        })));
        return counts.Sum();
    }

    /// <summary>Uploads that declare 50 000 bytes, send 1 000 and hang up, from 4 clients.</summary>
    public static async Task<int> AbortedUploadsAsync(Uri endpoint, CancellationToken stop)
    {
        var counts = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            var sent = 0;
            while (!stop.IsCancellationRequested)
            {
                using var socket = await ConnectAsync(endpoint);
                await socket.SendAsync(Head(endpoint, contentLength: 50_000).Concat(new byte[1000]).ToArray());
                await Task.Delay(50, CancellationToken.None);
                socket.Close(0);
                sent++;
            }

            return sent;
        })));
        return counts.Sum();
    }

    /// <summary>
    /// 20 uploads trickling one byte every 300 ms (slowloris on the body), each until the server cuts it (the LB's
    /// minimum data rate, 240 B/s after a 5 s grace) or the run ends; then another.
    /// </summary>
    public static async Task<int> SlowBodiesAsync(Uri endpoint, CancellationToken stop)
    {
        var counts = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(async () =>
        {
            var sent = 0;
            while (!stop.IsCancellationRequested)
            {
                using var socket = await ConnectAsync(endpoint);
                await socket.SendAsync(Head(endpoint, contentLength: 1000));
                sent++;
                try
                {
                    while (!stop.IsCancellationRequested)
                    {
                        await socket.SendAsync(new byte[] { (byte)'x' });
                        await Task.Delay(300, CancellationToken.None);
                    }
                }
                catch (SocketException)
                {
                    // Cut by the server: the point of the exercise.
                }
            }

            return sent;
        })));
        return counts.Sum();
    }

    /// <summary>Opens <paramref name="count"/> connections and sends nothing on them until cancelled.</summary>
    public static async Task<int> IdleConnectionsAsync(Uri endpoint, int count, TaskCompletionSource established, CancellationToken stop)
    {
        var sockets = new List<Socket>(count);
        try
        {
            using var gate = new SemaphoreSlim(64);
            var opened = await Task.WhenAll(Enumerable.Range(0, count).Select(async _ =>
            {
                await gate.WaitAsync(CancellationToken.None);
                try
                {
                    return await ConnectAsync(endpoint);
                }
                finally
                {
                    gate.Release();
                }
            }));
            sockets.AddRange(opened);
            established.TrySetResult();
            await Task.Delay(Timeout.Infinite, stop).ContinueWith(_ => { }, TaskScheduler.Default);
            return sockets.Count;
        }
        finally
        {
            foreach (var socket in sockets)
            {
                socket.Dispose();
            }
        }
    }

    private static async Task<int> PostLoopAsync(Uri endpoint, CancellationToken stop, Func<HttpContent> body, HttpStatusCode expected)
    {
        var counts = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            using var client = new HttpClient { BaseAddress = endpoint, Timeout = TimeSpan.FromSeconds(10) };
            var sent = 0;
            while (!stop.IsCancellationRequested)
            {
                using var response = await client.PostAsync("/api/messages", body(), CancellationToken.None);
                Assert.Equal(expected, response.StatusCode);
                sent++;
            }

            return sent;
        })));
        return counts.Sum();
    }

    private static async Task<Socket> ConnectAsync(Uri endpoint)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Parse(endpoint.Host), endpoint.Port);
        return socket;
    }

    private static byte[] Head(Uri endpoint, int contentLength) =>
        Encoding.ASCII.GetBytes($"POST /api/messages HTTP/1.1\r\nHost: {endpoint.Authority}\r\nContent-Type: application/json\r\nContent-Length: {contentLength}\r\n\r\n");
}
