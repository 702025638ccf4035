namespace Foobar.TestSupport;

/// <summary>
/// The base images (postgres:15, the .NET images, pause) in the engine: deploy/local-images.sh, run once per test
/// process. It keeps or pulls real images and builds stand-ins only where no registry answers; when they are already
/// there it takes a second or two.
/// </summary>
public static class LocalImages
{
    private static readonly Lazy<Task<string>> Ensured = new(RunAsync);

    /// <summary>Runs the script (once); returns its summary line, or throws with its output when it fails.</summary>
    public static Task<string> EnsureAsync() => Ensured.Value;

    private static async Task<string> RunAsync()
    {
        var script = Path.Combine(RepoPaths.Root, "deploy", "local-images.sh");
        var result = await CommandLine.RunAsync("bash", [script], RepoPaths.Root, TimeSpan.FromMinutes(20), DockerEngine.CommandEnvironment());
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"deploy/local-images.sh failed (engine {DockerEngine.Host}): {result}");
        }

        return result.Output.Trim().Split('\n')[^1];
    }
}
