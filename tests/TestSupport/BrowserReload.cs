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
            await response.Content.LoadIntoBufferAsync();
            return (response, false);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            // The answer had begun (its headers are here) when its body broke off.
            response.Dispose();
            return (await client.GetAsync(path), true);
        }
    }
}
