using Foobar.TestSupport;

namespace Foobar.Containers.Tests.Support;

/// <summary>
/// The compose command line for one project: `docker compose` (v2) when the CLI has it, else `docker-compose` (v1,
/// Debian's package), against the engine in DOCKER_HOST or the default socket.
/// </summary>
internal sealed class Compose(string project, IReadOnlyDictionary<string, string> variables)
{
    private static readonly Lazy<Task<string[]>> Command = new(FindCommandAsync);

    public string Project => project;

    public async Task<CommandLine.Result> RunAsync(TimeSpan timeout, params string[] arguments)
    {
        var command = await Command.Value;
        var environment = DockerEngine.CommandEnvironment();
        foreach (var (key, value) in variables)
        {
            environment[key] = value;
        }

        return await CommandLine.RunAsync(command[0], [.. command[1..], "-p", project, .. arguments], RepoPaths.Root, timeout, environment);
    }

    /// <summary>Runs and asserts exit 0, with the output in the failure message.</summary>
    public async Task<string> RunCheckedAsync(TimeSpan timeout, params string[] arguments)
    {
        var result = await RunAsync(timeout, arguments);
        Assert.True(result.ExitCode == 0, $"compose {string.Join(' ', arguments)}: {result}");
        return result.Output;
    }

    /// <summary>IDs of the service's containers, running or not.</summary>
    public async Task<IReadOnlyList<string>> ContainerIdsAsync(string service)
    {
        var output = await RunCheckedAsync(TimeSpan.FromMinutes(1), "ps", "-q", service);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    private static async Task<string[]> FindCommandAsync()
    {
        var v2 = await CommandLine.RunAsync("docker", ["compose", "version"], RepoPaths.Root, TimeSpan.FromSeconds(30), DockerEngine.CommandEnvironment());
        return v2.ExitCode == 0 ? ["docker", "compose"] : ["docker-compose"];
    }
}
