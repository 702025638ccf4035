using Foobar.TestSupport;
using Microsoft.Extensions.Configuration;

namespace Foobar.WebServer.Tests.Site;

/// <summary>The web tier ships with Kestrel's inline scheduling on (bench/README.md, stop 17); the other tiers do not.</summary>
public sealed class TransportDefaultsTests
{
    [Theory]
    [InlineData("WebServer", true)]
    [InlineData("AppServer", false)]
    public void ShippedSettings_InlineScheduling_OnlyInTheWebTier(string project, bool expected)
    {
        var settings = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(Path.GetDirectoryName(RepoPaths.ServiceDll(project))!, "appsettings.json"))
            .Build();

        Assert.Equal(expected, settings.GetValue<bool>("Transport:InlineScheduling"));
    }
}
