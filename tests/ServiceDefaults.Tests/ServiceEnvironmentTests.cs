using Foobar.ServiceDefaults;

namespace Foobar.ServiceDefaults.Tests;

/// <summary>The environment every launcher of a service (Launcher, tests, benchmarks) starts it with.</summary>
public sealed class ServiceEnvironmentTests
{
    [Fact]
    public void Variables_NewNode_ProductionNamedAndStoppedByStdinEof()
    {
        var variables = new ServiceEnvironment("web-1").Variables;

        Assert.Equal("web-1", variables["Node__Name"]);
        Assert.Equal("Production", variables["ASPNETCORE_ENVIRONMENT"]);
        Assert.Equal("Production", variables["DOTNET_ENVIRONMENT"]);
        Assert.Equal("1", variables[ServiceEnvironment.StopOnStdinEofVariable]);
        Assert.Equal("FOOBAR_STOP_ON_STDIN_EOF", ServiceEnvironment.StopOnStdinEofVariable);
        // Present and null: an inherited ASPNETCORE_URLS is removed, so the service keeps to its configured listeners.
        Assert.True(variables.ContainsKey("ASPNETCORE_URLS"));
        Assert.Null(variables["ASPNETCORE_URLS"]);
        Assert.False(variables.ContainsKey(ServiceEnvironment.InlineSocketCompletionsVariable));
    }

    [Fact]
    public void Set_NestedKeys_ColonsBecomeDoubleUnderscores()
    {
        var variables = new ServiceEnvironment("lb-1")
            .Set("Election:Peers:0", "127.0.0.1:9202")
            .Set(new Dictionary<string, string> { ["WebServers:HealthCheck:Interval"] = "00:00:02", ["Admin:Url"] = "http://127.0.0.1:9101" })
            .Variables;

        // Only the key changes: the values keep their colons.
        Assert.Equal("127.0.0.1:9202", variables["Election__Peers__0"]);
        Assert.Equal("00:00:02", variables["WebServers__HealthCheck__Interval"]);
        Assert.Equal("http://127.0.0.1:9101", variables["Admin__Url"]);
        Assert.Equal("Election__Peers__0", ServiceEnvironment.VariableName("Election:Peers:0"));
    }

    [Fact]
    public void Listen_SeveralUrls_JoinedWithSemicolons()
    {
        var variables = new ServiceEnvironment("app-1").Listen(["http://127.0.0.1:5101", "http://127.0.0.1:5151"]).Variables;

        Assert.Equal("http://127.0.0.1:5101;http://127.0.0.1:5151", variables["ASPNETCORE_URLS"]);
    }

    [Fact]
    public void Constructor_WithoutStdinPipe_NoWatchdog()
    {
        var variables = new ServiceEnvironment("lb-1", stopOnStdinEof: false).InlineSocketCompletions().Variables;

        Assert.False(variables.ContainsKey(ServiceEnvironment.StopOnStdinEofVariable));
        Assert.Equal("1", variables["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"]);
    }

    [Fact]
    public void Set_LaterValue_Wins()
    {
        var variables = new ServiceEnvironment("web-1").Set("Node:Name", "web-9").Set("Management:Url", null).Variables;

        Assert.Equal("web-9", variables["Node__Name"]);
        Assert.Null(variables["Management__Url"]);
    }
}
