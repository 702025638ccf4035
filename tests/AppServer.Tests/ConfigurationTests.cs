using Foobar.TestSupport;

namespace Foobar.AppServer.Tests;

public sealed class ConfigurationTests
{
    [Theory]
    [InlineData(null, null, "ConnectionStrings:Foobar")]
    [InlineData("Database:CommandTimeoutSeconds", "0", "Database:CommandTimeoutSeconds")]
    [InlineData("Database:ConnectTimeoutSeconds", "soon", "Database:ConnectTimeoutSeconds")]
    [InlineData("Database:MaxPoolSize", "0", "Database:MaxPoolSize")]
    [InlineData("Node:Name", "no spaces allowed", "Node:Name")]
    [InlineData("Management:Url", "not-a-url", "Management:Url")]
    [InlineData("ForwardedHeaders:KnownProxies:0", "10.0.0.300", "ForwardedHeaders:KnownProxies")]
    public async Task Start_BadSetting_RefusesNamingTheKey(string? key, string? value, string expectedKey)
    {
        var settings = new Dictionary<string, string?> { ["ConnectionStrings:Foobar"] = key is null ? "" : "Host=127.0.0.1;Database=x" };
        if (key is not null)
        {
            settings[key] = value;
        }

        var node = new ServiceNode("AppServer", "app-bad", settings);

        var (code, output) = await node.RunToCompletionAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(2, code);
        Assert.Contains($"error: bad configuration: ", output);
        Assert.Contains(expectedKey, output);
    }
}
