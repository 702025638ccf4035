using System.Text.Json;
using System.Text.Json.Nodes;
using Foobar.TestSupport;

namespace Foobar.Deployment.Tests.Support;

/// <summary>
/// docker-compose.yml as Compose itself resolves it: the output of <c>docker-compose config</c> (anchors, merge keys and
/// variables applied, short syntax expanded), turned into JSON by the PyYAML that Debian's docker-compose runs on.
/// </summary>
internal sealed class ComposeFile
{
    private ComposeFile(JsonObject root)
    {
        Root = root;
        Services = ResolvedYaml.Services(root);
    }

    public JsonObject Root { get; }

    public IReadOnlyDictionary<string, ComposeService> Services { get; }

    public IEnumerable<string> Networks => Root["networks"]?.AsObject().Select(n => n.Key) ?? [];

    /// <summary>The main file, or the main file with <paramref name="overlay"/> layered over it (<c>-f a -f b</c>).</summary>
    public static async Task<ComposeFile> LoadAsync(string? overlay = null)
    {
        var config = await ConfigWithAsync(overlay is null ? [] : [overlay]);
        if (config.ExitCode != 0)
        {
            throw new InvalidOperationException($"docker-compose config failed: {config}");
        }

        return new ComposeFile(await ResolvedYaml.ToJsonAsync(config.Output));
    }

    /// <summary>Runs <c>docker-compose config</c> on the repository's file with the defaults (no FOOBAR_* overrides).</summary>
    public static Task<CommandLine.Result> ConfigAsync(params string[] options) => ConfigWithAsync([], options);

    /// <summary><c>docker-compose config</c> on the main file and the given overlay files, in that order.</summary>
    public static Task<CommandLine.Result> ConfigWithAsync(IReadOnlyList<string> overlays, params string[] options) =>
        CommandLine.RunAsync(
            "docker-compose",
            ["--file", Path.Combine(RepoPaths.Root, "docker-compose.yml"), .. overlays.SelectMany(o => new[] { "--file", Path.Combine(RepoPaths.Root, o) }),
             "--project-directory", RepoPaths.Root, "config", .. options],
            RepoPaths.Root,
            TimeSpan.FromMinutes(1),
            new Dictionary<string, string?> { ["FOOBAR_SECRETS"] = null, ["FOOBAR_HTTP_PORT"] = null, ["FOOBAR_HTTPS_PORT"] = null, ["COMPOSE_FILE"] = null });
}

internal sealed record ComposePort(string? HostIp, int Published, int Target);

internal sealed class ComposeService(string name, JsonObject node)
{
    public string Name { get; } = name;

    public JsonObject Node { get; } = node;

    public string? Image => (string?)Node["image"];

    /// <summary>The Dockerfile the service's image is built from, or null for a pulled image.</summary>
    public string? Dockerfile => Node["build"] is JsonObject build ? (string?)build["dockerfile"] ?? "Dockerfile" : null;

    public string? NetworkMode => (string?)Node["network_mode"];

    public IReadOnlyDictionary<string, string> Environment =>
        Node["environment"] switch
        {
            JsonObject map => map.ToDictionary(e => e.Key, e => e.Value?.ToString() ?? ""),
            JsonArray list => list.Select(e => ((string)e!).Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : ""),
            _ => new Dictionary<string, string>(),
        };

    public IReadOnlyList<string> Networks =>
        Node["networks"] switch
        {
            JsonObject map => [.. map.Select(n => n.Key)],
            JsonArray list => [.. list.Select(n => (string)n!)],
            _ => [],
        };

    public IReadOnlyDictionary<string, string> DependsOn =>
        Node["depends_on"] switch
        {
            JsonObject map => map.ToDictionary(d => d.Key, d => (string?)d.Value?["condition"] ?? "service_started"),
            JsonArray list => list.ToDictionary(d => (string)d!, _ => "service_started"),
            _ => new Dictionary<string, string>(),
        };

    public IReadOnlyList<string> Secrets =>
        Node["secrets"] is JsonArray list ? [.. list.Select(s => s is JsonObject o ? (string)o["source"]! : (string)s!)] : [];

    public int Replicas => Node["deploy"]?["replicas"] is { } replicas ? int.Parse(replicas.ToString(), System.Globalization.CultureInfo.InvariantCulture) : 1;

    public string? Restart => (string?)Node["restart"];

    public IReadOnlyList<ComposePort> Ports =>
        Node["ports"] is JsonArray ports ? [.. ports.Select(ParsePort)] : [];

    private static ComposePort ParsePort(JsonNode? port)
    {
        if (port is JsonObject o)
        {
            return new ComposePort((string?)o["host_ip"], int.Parse(o["published"]!.ToString(), System.Globalization.CultureInfo.InvariantCulture), (int)o["target"]!);
        }

        // Short syntax: [HOST_IP:]PUBLISHED:TARGET[/PROTOCOL]
        var parts = ((string)port!).Split('/')[0].Split(':');
        return parts.Length switch
        {
            3 => new ComposePort(parts[0], int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), int.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture)),
            2 => new ComposePort(null, int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture)),
            _ => throw new FormatException($"unsupported port syntax '{port}'"),
        };
    }

    public override string ToString() => Name;
}
