using Foobar.TestSupport;

namespace Foobar.Containers.Tests.Support;

/// <summary>The docker CLI against the engine the tests use: container state, and failures done to containers.</summary>
internal static class DockerCli
{
    public static async Task<string> RunAsync(params string[] arguments)
    {
        var result = await CommandLine.RunAsync("docker", arguments, RepoPaths.Root, TimeSpan.FromMinutes(2), DockerEngine.CommandEnvironment());
        Assert.True(result.ExitCode == 0, $"docker {string.Join(' ', arguments)}: {result}");
        return result.Output.Trim();
    }

    /// <summary>Go-template fields of one container, e.g. "{{.State.Status}}".</summary>
    public static Task<string> InspectAsync(string container, string format) => RunAsync("inspect", "--format", format, container);

    /// <summary>"healthy", "unhealthy", "starting", or the plain state ("running", "exited") when it has no healthcheck.</summary>
    public static Task<string> HealthAsync(string container) =>
        InspectAsync(container, "{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}");
}
