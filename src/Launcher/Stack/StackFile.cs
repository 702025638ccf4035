using System.Text.Json;
using System.Text.Json.Serialization;

namespace Foobar.Launcher.Stack;

/// <summary>
/// <c>.foobar/stack.json</c>, the contract through which tests, benchmarks and scripts find a running stack:
/// <c>{"ready", "endpoint", "httpsEndpoint", "launcherPid", "adminTokenFile", "databasePasswordFile"?, "nodes": [{"name", "role", "pid", "urls", "adminUrl"?, "state"}]}</c>.
/// Written atomically (temp file + rename) so a reader never sees half a document, and 0600. It holds no secret:
/// the admin token stays in its own 0600 file, and <c>adminTokenFile</c> says where; so does the app role's password for
/// TCP connections to the Launcher's own PostgreSQL (<c>databasePasswordFile</c>).
/// </summary>
public sealed record StackFile(
    bool Ready,
    string Endpoint,
    string HttpsEndpoint,
    int LauncherPid,
    string? AdminTokenFile,
    IReadOnlyList<StackFileNode> Nodes)
{
    /// <summary>The app role's password for TCP connections to the Launcher's own PostgreSQL; null for any other database.</summary>
    public string? DatabasePasswordFile { get; init; }

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public void Write(string path)
    {
        PrivateFiles.Write(path, JsonSerializer.Serialize(this, Json));
    }

    public static StackFile? Read(string path) =>
        File.Exists(path) ? JsonSerializer.Deserialize<StackFile>(File.ReadAllText(path), Json) : null;
}
