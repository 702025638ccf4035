using System.Text.Json;
using System.Text.Json.Serialization;

namespace Foobar.Launcher.Stack;

/// <summary>
/// <c>.foobar/stack.json</c>, the contract through which tests, benchmarks and scripts find a running stack:
/// <c>{"ready", "endpoint", "httpsEndpoint", "launcherPid", "adminToken", "nodes": [{"name", "role", "pid", "urls", "adminUrl"?, "state"}]}</c>.
/// Written atomically (temp file + rename) so a reader never sees half a document.
/// </summary>
public sealed record StackFile(
    bool Ready,
    string Endpoint,
    string HttpsEndpoint,
    int LauncherPid,
    string? AdminToken,
    IReadOnlyList<StackFileNode> Nodes)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public void Write(string path)
    {
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(this, Json));
        File.Move(temporary, path, overwrite: true);
    }

    public static StackFile? Read(string path) =>
        File.Exists(path) ? JsonSerializer.Deserialize<StackFile>(File.ReadAllText(path), Json) : null;
}
