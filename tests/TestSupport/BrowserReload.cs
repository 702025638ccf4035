namespace Foobar.TestSupport;

/// <summary>
/// A GET as a browser sees it while nodes are killed: a response already streaming through a node that is SIGKILLed
/// is cut short, and no proxy can re-send what it has begun to answer ("Error while copying content"). A browser
/// shows a broken page and the user reloads; this does that once and says so, so a test can bound how many were cut.
/// Refused connections, resets before an answer and 5xx are not reloaded: they reach the caller as before.
/// </summary>
public static class BrowserReload
{
    public static async Task<(HttpResponseMessage Response, bool Reloaded)> GetReloadingCutResponseAsync(this HttpClient client, string path)
    {
        var response = await client.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
        try
        {
            // With ResponseHeadersRead, HttpClient.Timeout ends when the headers are in; the body gets the same time of
            // its own. Without it, a node frozen between its headers and its body (docker pause) held both of a test's
            // GET loops for the whole freeze: 0 GETs and 0 failures in 6 s, as a hung page that a user would reload.
            using var bodyTimeout = new CancellationTokenSource(client.Timeout);
            await response.Content.LoadIntoBufferAsync(bodyTimeout.Token);
            return (response, false);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            // The answer had begun (its headers are here) when its body broke off.
            response.Dispose();
            return (await client.GetAsync(path), true);
        }
        catch (OperationCanceledException ex)
        {
            response.Dispose();
            throw new TaskCanceledException($"GET {path}: the headers came, the body not within {client.Timeout.TotalSeconds:F0} s", ex);
        }
    }
}
