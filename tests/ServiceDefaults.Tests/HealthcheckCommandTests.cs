using Foobar.ServiceDefaults;
using Foobar.TestSupport;

namespace Foobar.ServiceDefaults.Tests;

/// <summary>The <c>healthcheck [url]</c> subcommand the container HEALTHCHECKs run, against a real server.</summary>
public sealed class HealthcheckCommandTests
{
    [Fact]
    public async Task RunAsync_ReadyServer_ExitsZero()
    {
        await using var upstream = await EchoUpstream.StartAsync("ready");

        Assert.Equal(0, await HealthcheckCommand.RunAsync(["healthcheck", $"{upstream.Url}/health/ready"]));
    }

    [Fact]
    public async Task RunAsync_NotReady_ExitsOne()
    {
        await using var upstream = await EchoUpstream.StartAsync("not-ready");
        upstream.Ready = false;

        Assert.Equal(1, await HealthcheckCommand.RunAsync(["healthcheck", $"{upstream.Url}/health/ready"]));
    }

    [Fact]
    public async Task RunAsync_NothingListening_ExitsOne()
    {
        Assert.Equal(1, await HealthcheckCommand.RunAsync(["healthcheck", $"http://127.0.0.1:{FreePorts.Next()}/health/ready"]));
    }

    [Theory]
    [InlineData(new[] { "healthcheck" }, true)]
    [InlineData(new[] { "healthcheck", "http://127.0.0.1:1/" }, true)]
    [InlineData(new[] { "migrate" }, false)]
    [InlineData(new string[0], false)]
    public void IsRequested_FirstArgument(string[] args, bool expected) => Assert.Equal(expected, HealthcheckCommand.IsRequested(args));
}
