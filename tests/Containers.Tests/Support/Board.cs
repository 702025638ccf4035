using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace Foobar.Containers.Tests.Support;

/// <summary>Reads the message board through the API, every page.</summary>
internal static class Board
{
    public static async Task<IReadOnlyList<string>> TextsWithPrefixAsync(HttpClient client, string prefix)
    {
        var texts = new List<string>();
        string? before = null;
        do
        {
            var page = await client.GetFromJsonAsync<JsonElement>($"/api/messages?limit=100{(before is null ? "" : $"&before={before}")}");
            texts.AddRange(page.GetProperty("items").EnumerateArray()
                .Select(m => m.GetProperty("text").GetString()!)
                .Where(t => t.StartsWith(prefix, StringComparison.Ordinal)));
            before = page.GetProperty("nextBefore").ValueKind == JsonValueKind.Number
                ? page.GetProperty("nextBefore").GetInt64().ToString(CultureInfo.InvariantCulture)
                : null;
        }
        while (before is not null);

        return texts;
    }
}
