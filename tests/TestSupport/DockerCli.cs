namespace Foobar.TestSupport;

/// <summary>
/// The docker CLI against the engine the tests were given: <c>DOCKER_HOST</c> when set (unix:///run/docker-dev.sock on
/// the shared development machines), else the default socket, which .ci/run starts an engine on.
/// </summary>
public static class DockerCli
{
    public static string Host => DockerEngine.Host;

    /// <summary>Runs the command (two minutes at most unless given) from the repository's root.</summary>
    public static Task<CommandLine.Result> RunAsync(IEnumerable<string> arguments, TimeSpan? timeout = null, IDictionary<string, string?>? environment = null)
    {
        var merged = new Dictionary<string, string?>(environment ?? new Dictionary<string, string?>()) { ["DOCKER_HOST"] = Host };
        return CommandLine.RunAsync("docker", arguments, RepoPaths.Root, timeout ?? TimeSpan.FromMinutes(2), merged);
    }

    /// <summary>Runs the command and returns its output, or throws with the command line and what it printed.</summary>
    public static async Task<string> CheckedAsync(IEnumerable<string> arguments, TimeSpan? timeout = null, IDictionary<string, string?>? environment = null)
    {
        var list = arguments.ToList();
        var result = await RunAsync(list, timeout, environment);
        return result.ExitCode == 0 ? result.Output : throw new InvalidOperationException($"docker {string.Join(' ', list)} (engine {Host}) failed: {result}");
    }

    /// <summary>Go-template fields of one container or object, e.g. "{{.State.Status}}", trimmed.</summary>
    public static async Task<string> InspectAsync(string id, string format) => (await CheckedAsync(["inspect", "--format", format, id])).Trim();

    /// <summary>"healthy", "unhealthy", "starting", or the plain state ("running", "exited") when it has no healthcheck.</summary>
    public static Task<string> HealthAsync(string container) =>
        InspectAsync(container, "{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}");

    public static async Task<IReadOnlyList<string>> LinesAsync(params string[] arguments) =>
        (await CheckedAsync(arguments)).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
