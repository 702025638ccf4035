using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Foobar.ServiceDefaults.Tests;

/// <summary><c>Transport:InlineScheduling</c> reaches Kestrel's socket transport, and a bad value names the key.</summary>
public sealed class TransportOptionsTests
{
    [Theory]
    [InlineData(null, false)]
    [InlineData("true", true)]
    [InlineData("false", false)]
    public void AddServiceDefaults_InlineScheduling_SetsTheSocketTransportsScheduling(string? value, bool expected)
    {
        using var app = Build(value);

        Assert.Equal(expected, app.Services.GetRequiredService<IOptions<SocketTransportOptions>>().Value.UnsafePreferInlineScheduling);
    }

    [Fact]
    public void AddServiceDefaults_InlineSchedulingNotABoolean_FailsNamingTheKey()
    {
        var error = Assert.ThrowsAny<InvalidOperationException>(() =>
        {
            using var app = Build("sometimes");
            return app.Services.GetRequiredService<IOptions<SocketTransportOptions>>().Value;
        });
        Assert.Contains("Transport:InlineScheduling", error.Message, StringComparison.Ordinal);
    }

    private static WebApplication Build(string? inlineScheduling)
    {
        var builder = WebApplication.CreateSlimBuilder();
        // Only this test's keys: the test's output folder holds a service's appsettings.json, copied with its references.
        builder.Configuration.Sources.Clear();
        var settings = new Dictionary<string, string?> { ["Node:Name"] = "web-test" };
        if (inlineScheduling is not null)
        {
            settings["Transport:InlineScheduling"] = inlineScheduling;
        }

        builder.Configuration.AddInMemoryCollection(settings);

        builder.AddServiceDefaults();
        return builder.Build();
    }
}
