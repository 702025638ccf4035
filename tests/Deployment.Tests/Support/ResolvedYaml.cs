using System.Text.Json.Nodes;
using Foobar.TestSupport;

namespace Foobar.Deployment.Tests.Support;

/// <summary>
/// A file as <c>docker-compose config</c> or <c>docker stack config</c> prints it (anchors, merge keys and variables
/// applied), turned into JSON by the PyYAML that Debian's docker-compose runs on: what <see cref="ComposeFile"/> and
/// <see cref="StackFile"/> read.
/// </summary>
internal static class ResolvedYaml
{
    private const string YamlToJson = "import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)";

    public static async Task<JsonObject> ToJsonAsync(string yaml)
    {
        var path = Path.Combine(Path.GetTempPath(), $"foobar-resolved-{Guid.NewGuid():N}.yml");
        try
        {
            await File.WriteAllTextAsync(path, yaml);
            var json = await CommandLine.RunAsync("python3", ["-c", YamlToJson, path], Environment.CurrentDirectory, TimeSpan.FromMinutes(1));
            return json.ExitCode == 0
                ? JsonNode.Parse(json.Output)!.AsObject()
                : throw new InvalidOperationException($"YAML to JSON failed: {json}");
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>The file's <c>services</c>, by name.</summary>
    public static IReadOnlyDictionary<string, ComposeService> Services(JsonObject root) =>
        root["services"]!.AsObject().ToDictionary(s => s.Key, s => new ComposeService(s.Key, s.Value!.AsObject()));
}
