namespace Foobar.ServiceDefaults;

/// <summary>
/// The <c>healthcheck [url]</c> subcommand used by container HEALTHCHECKs, so that images need no curl.
/// Exit 0 when the URL (default: this service's /health/ready on its first listen address) answers 2xx.
/// </summary>
public static class HealthcheckCommand
{
    public static bool IsRequested(string[] args) => args.Length > 0 && args[0] == "healthcheck";

    public static async Task<int> RunAsync(string[] args, string defaultPath = "/health/ready")
    {
        var target = args.Length > 1 ? args[1] : DefaultUrl(defaultPath);
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        try
        {
            using var response = await client.GetAsync(target);
            Console.WriteLine($"{target}: {(int)response.StatusCode}");
            return response.IsSuccessStatusCode ? 0 : 1;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            Console.WriteLine($"{target}: {ex.Message}");
            return 1;
        }
    }

    private static string DefaultUrl(string path)
    {
        var urls = Environment.GetEnvironmentVariable("ASPNETCORE_URLS");
        if (string.IsNullOrWhiteSpace(urls))
        {
            var ports = Environment.GetEnvironmentVariable("ASPNETCORE_HTTP_PORTS") ?? "8080";
            urls = $"http://127.0.0.1:{ports.Split(';', ',')[0]}";
        }

        var first = urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[0];
        var uri = KestrelUrl.TryParse(first, out var parsed) ? parsed : throw new UriFormatException($"not a listen URL: {first}");
        var target = new UriBuilder(uri) { Path = path };
        if (uri.Host is "0.0.0.0" or "[::]")
        {
            // A service listening on every address answers on loopback, which is where this probe runs.
            target.Host = "127.0.0.1";
        }

        return target.Uri.ToString();
    }
}
