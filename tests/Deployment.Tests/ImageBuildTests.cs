using System.Diagnostics;
using System.Text.RegularExpressions;
using Foobar.Deployment.Tests.Support;
using Foobar.TestSupport;

namespace Foobar.Deployment.Tests;

/// <summary>
/// Each Dockerfile's build stage, run here as written and in order: its context COPYs into a temporary directory
/// standing for the WORKDIR (.dockerignore applied, so no bin/ or obj/ sneaks in), its RUN lines through sh, with the
/// publish output directory moved from /app to a temporary one. The three builds start together in the fixture.
/// </summary>
public sealed partial class ImageBuildTests(ImageBuildTests.Builds builds) : IClassFixture<ImageBuildTests.Builds>
{
    public static TheoryData<string> Dockerfiles => [.. Dockerfile.All];

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public async Task RestoreAndPublish_RunAsWritten_Succeed(string name)
    {
        var build = await builds.Get(name);

        Assert.All(build.Steps, step => Assert.True(step.Result.ExitCode == 0, $"{name}: RUN {step.Command}\n{step.Result}"));
        Assert.Equal(["dotnet restore", "dotnet publish"], build.Steps.Select(s => string.Join(' ', s.Command.Split(' ')[..2])));
        var project = Dockerfile.Load(name).Project;
        Assert.True(File.Exists(Path.Combine(build.Output, $"{project}.dll")), $"{name}: no {project}.dll in the publish output");
        Assert.True(File.Exists(Path.Combine(build.Output, $"{project}.runtimeconfig.json")));
        Assert.True(File.Exists(Path.Combine(build.Output, "appsettings.json")));
        // Release, not a copy of a Debug build from the working tree.
        Assert.DoesNotContain(build.Steps[^1].Result.Output, "/bin/Debug/", StringComparison.Ordinal);
    }

    [Fact]
    public async Task WebPublish_ShipsTheSiteAndItsAssetManifest()
    {
        var build = await builds.Get("Dockerfile.web");

        Assert.True(File.Exists(Path.Combine(build.Output, "WebServer.staticwebassets.endpoints.json")), "MapStaticAssets needs the endpoints manifest");
        Assert.True(File.Exists(Path.Combine(build.Output, "wwwroot", "index.html")));
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public async Task PublishedHealthcheck_NothingListening_ExitsNonZero(string name)
    {
        var build = await builds.Get(name);
        var command = Dockerfile.Load(name).Final.ExecForm("HEALTHCHECK");
        var port = FreePorts.Next();
        var environment = CommandLine.CleanDotnetEnvironment();
        environment["ASPNETCORE_URLS"] = $"http://0.0.0.0:{port}";
        environment["Admin__Url"] = $"http://0.0.0.0:{port}";

        // The image's WORKDIR is the publish output: run the command there, as the container would.
        var result = await CommandLine.RunAsync(command[0], command[1..], build.Output, TimeSpan.FromSeconds(30), environment);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains($"127.0.0.1:{port}/health/ready", result.Output, StringComparison.Ordinal);
    }

    internal sealed record Step(string Command, CommandLine.Result Result);

    internal sealed record Build(string Output, IReadOnlyList<Step> Steps, TimeSpan Duration);

    [GeneratedRegex(@"(?<flag>-o|--output)\s+(?<path>/\S+)")]
    private static partial Regex OutputPattern();

    /// <summary>Runs the three builds concurrently once for the class; removes their directories afterwards.</summary>
    public sealed class Builds : IAsyncLifetime
    {
        private readonly string _root = Path.Combine(Path.GetTempPath(), $"foobar-image-builds-{Guid.NewGuid():N}");
        private Dictionary<string, Task<Build>> _builds = [];

        internal Task<Build> Get(string name) => _builds[name];

        public Task InitializeAsync()
        {
            _builds = Dockerfile.All.ToDictionary(name => name, name => Task.Run(() => RunAsync(name)));
            return Task.CompletedTask;
        }

        public async Task DisposeAsync()
        {
            await Task.WhenAll(_builds.Values.Select(b => b.ContinueWith(_ => { }, TaskScheduler.Default)));
            if (Directory.Exists(_root))
            {
                Directory.Delete(_root, recursive: true);
            }
        }

        private async Task<Build> RunAsync(string name)
        {
            var clock = Stopwatch.StartNew();
            var stage = Dockerfile.Load(name).Stages[0];
            var workDir = Path.Combine(_root, name, "src");
            var output = Path.Combine(_root, name, "app");
            Directory.CreateDirectory(workDir);
            var ignore = DockerIgnore.Load();
            var steps = new List<Step>();
            // In the order written: a RUN sees only what the COPYs before it brought, as in the restore layer.
            foreach (var instruction in stage.Instructions)
            {
                if (instruction.Keyword == "COPY")
                {
                    if (BuildContext.Apply(CopyInstruction.Parse(instruction), workDir, ignore) == 0)
                    {
                        throw new InvalidOperationException($"{name}:{instruction.Line}: COPY {instruction.Arguments} copies nothing");
                    }
                }
                else if (instruction.Keyword == "RUN")
                {
                    var command = OutputPattern().Replace(instruction.Arguments, m => $"{m.Groups["flag"].Value} {output}");
                    var result = await CommandLine.RunAsync("/bin/sh", ["-c", command], workDir, TimeSpan.FromMinutes(8), CommandLine.CleanDotnetEnvironment());
                    steps.Add(new Step(instruction.Arguments, result));
                    if (result.ExitCode != 0)
                    {
                        break;
                    }
                }
            }

            return new Build(output, steps, clock.Elapsed);
        }
    }
}
