using System.Text.Json.Nodes;
using Foobar.TestSupport;

namespace Foobar.Deployment.Tests.Support;

/// <summary>
/// deploy/swarm/stack.yml as the swarm reads it: the output of <c>docker stack config</c> (merges, anchors and variables
/// applied; the Docker CLI needs no engine for it), turned into JSON by PyYAML as <see cref="ComposeFile"/> does.
/// </summary>
internal sealed class StackFile
{
    private const string YamlToJson = "import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)";

    private StackFile(JsonObject root)
    {
        Root = root;
        Services = root["services"]!.AsObject().ToDictionary(s => s.Key, s => new ComposeService(s.Key, s.Value!.AsObject()));
    }

    public static string Directory { get; } = Path.Combine(RepoPaths.Root, "deploy", "swarm");

    public static string MainFile { get; } = Path.Combine(Directory, "stack.yml");

    public static string SingleNodeFile { get; } = Path.Combine(Directory, "single-node.yml");

    public JsonObject Root { get; }

    public IReadOnlyDictionary<string, ComposeService> Services { get; }

    public static async Task<StackFile> LoadAsync(params string[] files)
    {
        files = files.Length > 0 ? files : [MainFile];
        var config = await CommandLine.RunAsync(
            "docker", ["stack", "config", .. files.SelectMany(f => new[] { "--compose-file", f })], RepoPaths.Root, TimeSpan.FromMinutes(1), Environment());
        if (config.ExitCode != 0)
        {
            throw new InvalidOperationException($"docker stack config failed: {config}");
        }

        var path = Path.Combine(Path.GetTempPath(), $"foobar-stack-{Guid.NewGuid():N}.yml");
        try
        {
            await File.WriteAllTextAsync(path, config.Output);
            var json = await CommandLine.RunAsync("python3", ["-c", YamlToJson, path], System.Environment.CurrentDirectory, TimeSpan.FromMinutes(1));
            return json.ExitCode == 0
                ? new StackFile(JsonNode.Parse(json.Output)!.AsObject())
                : throw new InvalidOperationException($"YAML to JSON failed: {json}");
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>The defaults: none of the FOOBAR_* overrides the files read, and no engine needed.</summary>
    private static Dictionary<string, string?> Environment() => new()
    {
        ["FOOBAR_SECRETS"] = null,
        ["FOOBAR_HTTP_PORT"] = null,
        ["FOOBAR_HTTPS_PORT"] = null,
        ["FOOBAR_TAG"] = null,
    };
}
