using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Foobar.TestSupport;

namespace Foobar.System.Tests;

/// <summary>Break nodes while a client works through the virtual endpoint, and check what the client saw.</summary>
[Collection(StackCollection.Name)]
public sealed class FailureTests(StackFixture stack)
{
    [Fact]
    public async Task KillWebAndAppNode_DuringTraffic_NoFailedGetAndEveryPostStoredOnce()
    {
        using var client = new HttpClient { BaseAddress = stack.Endpoint, Timeout = TimeSpan.FromSeconds(10) };
        var failedGets = new ConcurrentBag<string>();
        var posted = new ConcurrentDictionary<string, long>();
        using var stop = new CancellationTokenSource();
        var getCount = 0;
        var cutResponses = 0;

        async Task GetLoop()
        {
            while (!stop.IsCancellationRequested)
            {
                foreach (var path in new[] { "/", "/api/messages?limit=5" })
                {
                    try
                    {
                        using var response = await GetOrReloadCutResponseAsync(path);
                        if (response.StatusCode != HttpStatusCode.OK)
                        {
                            failedGets.Add($"{path}: {(int)response.StatusCode}");
                        }
                    }
                    catch (HttpRequestException ex)
                    {
                        failedGets.Add($"{path}: {ex.Message}");
                    }

                    Interlocked.Increment(ref getCount);
                }
            }
        }

        // A response cut mid-body by a kill is reloaded once, as a browser would (TestSupport's BrowserReload), and
        // counted; a cut can only hit the few responses in flight at the two kills.
        async Task<HttpResponseMessage> GetOrReloadCutResponseAsync(string path)
        {
            var (response, reloaded) = await client.GetReloadingCutResponseAsync(path);
            if (reloaded)
            {
                Interlocked.Increment(ref cutResponses);
            }

            return response;
        }

        async Task PostLoop(int worker)
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var key = $"system-{worker}-{i}-{Guid.NewGuid():N}";
                posted[key] = await PostWithRetriesAsync(client, key, $"post {worker}/{i}");
            }
        }

        var traffic = new[] { GetLoop(), GetLoop(), PostLoop(1), PostLoop(2) };
        await Task.Delay(1500);
        await stack.Launcher.SendAsync("kill web-1");
        await stack.WaitForStateAsync("web-1", "killed", TimeSpan.FromSeconds(15));
        await Task.Delay(1500);
        await stack.Launcher.SendAsync("kill app-2");
        await stack.WaitForStateAsync("app-2", "killed", TimeSpan.FromSeconds(15));
        await Task.Delay(2500);
        await stop.CancelAsync();
        await Task.WhenAll(traffic);

        Assert.True(getCount > 50, $"only {getCount} GETs were sent");
        Assert.Empty(failedGets);
        Assert.True(cutResponses <= 4, $"{cutResponses} responses were cut mid-body: more than the two loops can have in flight at two kills");
        Assert.True(posted.Count > 10, $"only {posted.Count} posts were made");
        foreach (var (key, id) in posted)
        {
            // Each key maps to exactly one stored message: the retry found the first write, never made a second.
            using var again = await client.SendAsync(PostRequest(key, ContentFor(key)));
            Assert.Equal(HttpStatusCode.Created, again.StatusCode);
            Assert.Equal(id, (await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64());
        }

        Assert.Equal(posted.Count, await CountMessagesWithPrefixAsync(client, "system-"));

        await stack.Launcher.SendAsync("start web-1");
        await stack.Launcher.SendAsync("start app-2");
        await stack.WaitForStateAsync("web-1", "running", TimeSpan.FromSeconds(60));
        await stack.WaitForStateAsync("app-2", "running", TimeSpan.FromSeconds(60));
    }

    private static readonly ConcurrentDictionary<string, string> Contents = new();

    private static string ContentFor(string key) => Contents[key];

    private static HttpRequestMessage PostRequest(string key, string text)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/messages") { Content = JsonContent.Create(new { author = "system-test", text }) };
        request.Headers.Add("Idempotency-Key", key);
        return request;
    }

    /// <summary>What the site's script does: the same key on every attempt, retried on network errors and 502/503.</summary>
    private static async Task<long> PostWithRetriesAsync(HttpClient client, string key, string text)
    {
        Contents[key] = $"{key} {text}";
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var response = await client.SendAsync(PostRequest(key, Contents[key]));
                if (response.StatusCode == HttpStatusCode.Created)
                {
                    return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
                }

                Assert.True(response.StatusCode is HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable, $"POST got {(int)response.StatusCode}");
            }
            catch (HttpRequestException) when (attempt < 10)
            {
                // Retried below with the same key.
            }

            Assert.True(attempt < 10, $"POST {key} still failing after {attempt} attempts");
            await Task.Delay(200);
        }
    }

    private static async Task<int> CountMessagesWithPrefixAsync(HttpClient client, string prefix)
    {
        var count = 0;
        string? before = null;
        do
        {
            var page = await client.GetFromJsonAsync<JsonElement>($"/api/messages?limit=100{(before is null ? "" : $"&before={before}")}");
            count += page.GetProperty("items").EnumerateArray().Count(m => m.GetProperty("text").GetString()!.StartsWith(prefix, StringComparison.Ordinal));
            before = page.GetProperty("nextBefore").ValueKind == JsonValueKind.Number ? page.GetProperty("nextBefore").GetInt64().ToString(global::System.Globalization.CultureInfo.InvariantCulture) : null;
        }
        while (before is not null);

        return count;
    }
}
