using System.Net;
using System.Net.Sockets;
using Foobar.Launcher.Postgres;
using Foobar.Launcher.Processes;
using Foobar.Launcher.Stack;
using Foobar.TestSupport;

namespace Foobar.Launcher.Tests;

/// <summary>The Launcher's one-line errors, each saying what to do, from the real program.</summary>
public sealed class CommandLineTests
{
    [Fact]
    public async Task Run_PortInUse_NamesThePortAndItsOwner()
    {
        var ports = LauncherPorts.Allocate();
        using var squatter = new TcpListener(IPAddress.Loopback, ports.Http);
        squatter.Start();

        var (code, output) = await RunAsync([.. ports.ToArguments(), "--data-dir", TempDirectory()]);

        Assert.Equal(1, code);
        Assert.Contains($"error: port {ports.Http} on 127.0.0.1 is already in use by pid {Environment.ProcessId}", output);
        Assert.Contains("--http-port", output);
    }

    [Fact]
    public async Task Run_PortFromTheEnvironment_IsTheOneChecked()
    {
        var ports = LauncherPorts.Allocate();
        using var squatter = new TcpListener(IPAddress.Loopback, ports.Http);
        squatter.Start();
        var http = ports.Http.ToString(System.Globalization.CultureInfo.InvariantCulture);

        // Every port on the command line but the HTTP one, which comes from FOOBAR_HTTP_PORT.
        var (code, output) = await RunAsync([.. ports.ToArguments().Skip(2), "--data-dir", TempDirectory()],
            new Dictionary<string, string?> { ["FOOBAR_HTTP_PORT"] = http });

        Assert.Equal(1, code);
        Assert.Contains($"error: port {http} on 127.0.0.1 is already in use by pid {Environment.ProcessId}", output);
    }

    [Theory]
    [InlineData("--web", "0", "--web")]
    [InlineData("--app", "21", "--app")]
    [InlineData("--web", "many", "many")]
    [InlineData("--colour", "blue", "unknown option --colour")]
    public async Task Run_BadOption_RefusesNamingIt(string option, string value, string expected)
    {
        var (code, output) = await RunAsync([option, value, "--data-dir", TempDirectory()]);

        Assert.Equal(2, code);
        Assert.Contains("error: ", output);
        Assert.Contains(expected, output);
        Assert.Contains("usage: dotnet run --project src/Launcher", output);
    }

    [Fact]
    public async Task Run_NoPostgresBinaries_SaysWhatToInstall()
    {
        var empty = Directory.CreateTempSubdirectory("foobar-nopg").FullName;

        var (code, output) = await RunAsync([.. LauncherPorts.Allocate().ToArguments(), "--data-dir", TempDirectory()],
            new Dictionary<string, string?> { [PostgresBinaries.DirectoryVariable] = empty });

        Assert.Equal(1, code);
        Assert.Contains("error: PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found: install them (Debian: apt-get install postgresql)", output);
    }

    [Fact]
    public async Task Help_PrintsUsageAndExitsZero()
    {
        var (code, output) = await RunAsync(["--help"]);

        Assert.Equal(0, code);
        Assert.Contains("--web N", output);
    }

    private static string TempDirectory() => Path.Combine(Path.GetTempPath(), $"foobar-launcher-{Guid.NewGuid():N}");

    private static async Task<(int Code, string Output)> RunAsync(string[] arguments, IDictionary<string, string?>? environment = null)
    {
        await using var launcher = ChildProcess.Start("dotnet", [ServicePaths.Dll("Launcher"), .. arguments], environment);
        launcher.CloseStandardInput();
        var code = await launcher.Exited.WaitAsync(TimeSpan.FromSeconds(60));
        return (code, string.Join("\n", launcher.LastLines(100)));
    }
}
