using System.Text.Json.Nodes;
using Foobar.TestSupport;

namespace Foobar.Deployment.Tests.Support;

/// <summary>
/// deploy/swarm/stack.yml as the swarm reads it: the output of <c>docker stack config</c> (merges, anchors and variables
/// applied; the Docker CLI needs no engine for it), turned into JSON (<see cref="ResolvedYaml"/>) as <see cref="ComposeFile"/> is.
/// </summary>
internal sealed class StackFile
{
    private StackFile(JsonObject root)
    {
        Root = root;
        Services = ResolvedYaml.Services(root);
    }

    public static string Directory { get; } = Path.Combine(RepoPaths.Root, "deploy", "swarm");

    public static string MainFile { get; } = Path.Combine(Directory, "stack.yml");

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

        return new StackFile(await ResolvedYaml.ToJsonAsync(config.Output));
    }

    /// <summary>The virtual IP the files are read with: FOOBAR_VIP has no default (a deployment must name its own).</summary>
    public const string VirtualIp = "192.0.2.100";

    /// <summary>The defaults: none of the FOOBAR_* overrides the files read but the required FOOBAR_VIP, and no engine needed.</summary>
    private static Dictionary<string, string?> Environment() => new()
    {
        ["FOOBAR_VIP"] = VirtualIp,
        ["FOOBAR_VIP_PREFIX"] = null,
        ["FOOBAR_LAN_NETWORK"] = null,
        ["FOOBAR_ELECTION_INTERVAL"] = null,
        ["FOOBAR_SECRETS"] = null,
        ["FOOBAR_HTTP_PORT"] = null,
        ["FOOBAR_HTTPS_PORT"] = null,
        ["FOOBAR_TAG"] = null,
    };
}
