using System.Collections;

namespace Foobar.Launcher.Tests;

/// <summary>README's promise: every Launcher option can also be given in the environment as <c>FOOBAR_&lt;OPTION&gt;</c>.</summary>
public sealed class LauncherOptionsReaderTests
{
    [Theory]
    [InlineData("FOOBAR_WEB", "3", nameof(LauncherOptions.Web))]
    [InlineData("FOOBAR_APP", "4", nameof(LauncherOptions.App))]
    [InlineData("FOOBAR_LBS", "1", nameof(LauncherOptions.LoadBalancers))]
    [InlineData("FOOBAR_HTTP_PORT", "18080", nameof(LauncherOptions.HttpPort))]
    [InlineData("FOOBAR_HTTPS_PORT", "18443", nameof(LauncherOptions.HttpsPort))]
    [InlineData("FOOBAR_ADMIN_PORT", "19101", nameof(LauncherOptions.AdminPort))]
    [InlineData("FOOBAR_ELECTION_PORT", "19201", nameof(LauncherOptions.ElectionPort))]
    [InlineData("FOOBAR_APP_PORT", "15100", nameof(LauncherOptions.AppBasePort))]
    [InlineData("FOOBAR_WEB_PORT", "15200", nameof(LauncherOptions.WebBasePort))]
    [InlineData("FOOBAR_POSTGRES_PORT", "15433", nameof(LauncherOptions.PostgresPort))]
    [InlineData("FOOBAR_CONNECTION_STRING", "Host=db;Database=foobar", nameof(LauncherOptions.ConnectionString))]
    [InlineData("FOOBAR_DATA_DIR", "/tmp/foobar-data", nameof(LauncherOptions.DataDirectory))]
    [InlineData("FOOBAR_CONFIGURATION", "Release", nameof(LauncherOptions.Configuration))]
    public void TryRead_OptionInTheEnvironment_IsSet(string variable, string value, string property)
    {
        var ok = LauncherOptionsReader.TryRead([], new Hashtable { [variable] = value }, out var options, out var error);

        Assert.True(ok, error);
        Assert.Equal(value, ValueOf(options, property));
    }

    [Fact]
    public void TryRead_EverySwitch_HasAnEnvironmentNameThatBinds()
    {
        foreach (var (switchName, property) in LauncherOptions.Switches)
        {
            // 1 is valid for every number (1 load balancer, port 1); text options take any string.
            var value = typeof(LauncherOptions).GetProperty(property)!.PropertyType == typeof(int) ? "1" : "x";

            var ok = LauncherOptionsReader.TryRead([], new Hashtable { [LauncherOptionsReader.EnvironmentVariable(switchName)] = value }, out var options, out var error);

            Assert.True(ok, $"{switchName}: {error}");
            Assert.Equal(value, ValueOf(options, property));
        }
    }

    [Fact]
    public void TryRead_PropertyNameInTheEnvironment_StillBinds()
    {
        Assert.True(LauncherOptionsReader.TryRead([], new Hashtable { ["FOOBAR_HTTPPORT"] = "18081" }, out var options, out _));

        Assert.Equal(18081, options.HttpPort);
    }

    [Fact]
    public void TryRead_CommandLineAndEnvironment_CommandLineWins()
    {
        Assert.True(LauncherOptionsReader.TryRead(["--web", "5"], new Hashtable { ["FOOBAR_WEB"] = "3", ["FOOBAR_APP"] = "4" }, out var options, out _));

        Assert.Equal(5, options.Web);
        Assert.Equal(4, options.App);
    }

    [Fact]
    public void TryRead_BadValueFromTheEnvironment_NamesTheSwitch()
    {
        var ok = LauncherOptionsReader.TryRead([], new Hashtable { ["FOOBAR_LBS"] = "3" }, out _, out var error);

        Assert.False(ok);
        Assert.StartsWith("--lbs: ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryRead_OtherFoobarVariables_AreIgnored()
    {
        var environment = new Hashtable { ["FOOBAR_POSTGRES_BIN"] = "/usr/lib/postgresql/15/bin", ["FOOBAR_STOP_ON_STDIN_EOF"] = "1", ["FOOBAR_SECRETS"] = "/s" };

        Assert.True(LauncherOptionsReader.TryRead([], environment, out var options, out var error), error);
        Assert.Equal(new LauncherOptions(), options);
    }

    private static string? ValueOf(LauncherOptions options, string property) =>
        Convert.ToString(typeof(LauncherOptions).GetProperty(property)!.GetValue(options), System.Globalization.CultureInfo.InvariantCulture);
}
