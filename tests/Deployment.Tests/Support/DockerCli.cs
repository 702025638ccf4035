using Foobar.TestSupport;

namespace Foobar.Deployment.Tests.Support;

/// <summary>
/// The docker CLI against the engine the tests were given: <c>DOCKER_HOST</c> when set (unix:///run/docker-dev.sock on
/// the shared development machines), else the default socket, which .ci/run starts an engine on.
/// </summary>
internal static class DockerCli
{
    public static string Host => DockerEngine.Host;

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

    public static async Task<IReadOnlyList<string>> LinesAsync(params string[] arguments) =>
        (await CheckedAsync(arguments)).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
