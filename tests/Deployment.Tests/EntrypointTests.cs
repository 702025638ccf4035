using Foobar.Deployment.Tests.Support;
using Foobar.TestSupport;

namespace Foobar.Deployment.Tests;

/// <summary>deploy/entrypoint.sh, run by sh as the images run it: compose secrets (files) become settings (variables).</summary>
public sealed class EntrypointTests : IDisposable
{
    private static readonly string Script = Path.Combine(RepoPaths.Root, "deploy", "entrypoint.sh");
    private readonly string _directory = Directory.CreateTempSubdirectory("foobar-entrypoint-").FullName;

    [Fact]
    public async Task FileVariable_BecomesTheVariable_AndTheFileFormIsGone()
    {
        var secret = Secret("election_key", "s3cret with spaces\n");

        var result = await RunAsync(new() { ["Election__Key_FILE"] = secret, ["Node__Name"] = "lb-1" }, "env");

        Assert.Equal(0, result.ExitCode);
        var lines = result.Output.Split('\n');
        Assert.Contains("Election__Key=s3cret with spaces", lines);
        Assert.Contains("Node__Name=lb-1", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("Election__Key_FILE=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Arguments_PassThroughUnchanged()
    {
        var result = await RunAsync([], "printf", "[%s]", "migrate", "two words");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("[migrate][two words]", result.Output.Trim());
    }

    [Fact]
    public async Task UnreadableFile_ExitsTwo_NamingTheVariable()
    {
        var result = await RunAsync(new() { ["PGPASSWORD_FILE"] = Path.Combine(_directory, "missing") }, "true");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("PGPASSWORD_FILE", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BothForms_ExitTwo()
    {
        var result = await RunAsync(new() { ["Admin__Token"] = "x", ["Admin__Token_FILE"] = Secret("admin_token", "y") }, "true");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("both Admin__Token and Admin__Token_FILE", result.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("admin_token", "Admin__Token_FILE")]
    [InlineData("election_key", "Election__Key_FILE")]
    [InlineData("postgres_password", "PGPASSWORD_FILE")]
    [InlineData("postgres_witness_password", "PGPASSWORD_FILE")]
    public async Task DemoSecret_WithoutDemoSetting_ExitsTwo(string demoFile, string variable)
    {
        var demo = Path.Combine(RepoPaths.Root, "deploy", "secrets", demoFile);

        var refused = await RunAsync(new() { [variable] = demo }, "true");
        var refusedExplicitly = await RunAsync(new() { [variable] = demo, ["FOOBAR_DEMO"] = "0" }, "true");
        var demoRun = await RunAsync(new() { [variable] = demo, ["FOOBAR_DEMO"] = "1" }, "true");

        Assert.Equal(2, refused.ExitCode);
        Assert.Contains($"{variable[..^5]} holds the published demo secret", refused.Output, StringComparison.Ordinal);
        Assert.Equal(2, refusedExplicitly.ExitCode);
        Assert.Equal(0, demoRun.ExitCode);
        Assert.Contains("warning:", demoRun.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OwnSecret_NoDemoSetting_Accepted()
    {
        var result = await RunAsync(new() { ["Admin__Token_FILE"] = Secret("admin_token", "a-real-token-nobody-published") }, "true");

        Assert.Equal(0, result.ExitCode);
        Assert.DoesNotContain("warning", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void DemoSecrets_EveryPublishedFileIsKnownToTheEntrypoint()
    {
        var script = File.ReadAllText(Script);
        foreach (var file in Directory.GetFiles(Path.Combine(RepoPaths.Root, "deploy", "secrets")))
        {
            Assert.Contains(File.ReadAllText(file).Trim(), script, StringComparison.Ordinal);
        }
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Secret(string name, string content)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, content);
        return path;
    }

    private static Task<CommandLine.Result> RunAsync(Dictionary<string, string?> environment, params string[] command)
    {
        // A bare environment, as in a container: only PATH and what compose sets.
        foreach (var key in Environment.GetEnvironmentVariables().Keys.Cast<string>().Where(k => !environment.ContainsKey(k) && k != "PATH"))
        {
            environment[key] = null;
        }

        return CommandLine.RunAsync("/bin/sh", [Script, .. command], Environment.CurrentDirectory, TimeSpan.FromMinutes(1), environment);
    }
}
