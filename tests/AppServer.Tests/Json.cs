using System.Net.Http.Json;
using System.Text.Json;

namespace Foobar.AppServer.Tests;

internal static class Json
{
    public static async Task<JsonElement> ReadAsync(this HttpResponseMessage response) =>
        await response.Content.ReadFromJsonAsync<JsonElement>();

    public static Task<HttpResponseMessage> PostMessageAsync(this HttpClient client, string author, string text, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/messages") { Content = JsonContent.Create(new { author, text }) };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return client.SendAsync(request);
    }
}
