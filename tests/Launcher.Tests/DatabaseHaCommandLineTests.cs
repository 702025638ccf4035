using Foobar.Launcher.Postgres;
using Foobar.TestSupport;

namespace Foobar.Launcher.Tests;

/// <summary>--db-ha's one-line errors, from the real program.</summary>
public sealed class DatabaseHaCommandLineTests
{
    [Fact]
    public async Task Run_DbHaWithConnectionString_RefusesNamingBoth()
    {
        var (code, output) = await CommandLineTests.RunAsync(
            [.. LauncherPorts.Allocate().ToArguments(), "--data-dir", CommandLineTests.TempDirectory(), "--db-ha", "--connection-string", "Host=127.0.0.1"]);

        Assert.Equal(2, code);
        Assert.Contains("error: --db-ha starts its own PostgreSQL formation", output);
    }

    [Fact]
    public async Task Run_DbHaWithoutPgAutoFailoverExtension_SaysWhatToInstall()
    {
        // A PostgreSQL "installation" with initdb and pg_ctl but without pg_auto_failover's extension beside it.
        var root = Directory.CreateTempSubdirectory("foobar-nopgaf").FullName;
        var bin = Directory.CreateDirectory(Path.Combine(root, "bin")).FullName;
        File.WriteAllText(Path.Combine(bin, "initdb"), "");
        File.WriteAllText(Path.Combine(bin, "pg_ctl"), "");

        var (code, output) = await CommandLineTests.RunAsync([.. LauncherPorts.Allocate().ToArguments(), "--data-dir", CommandLineTests.TempDirectory(), "--db-ha"],
            new Dictionary<string, string?> { [PostgresBinaries.DirectoryVariable] = bin });

        Assert.Equal(1, code);
        Assert.Contains("error: --db-ha needs pg_auto_failover: install it (Debian: apt-get install pg-auto-failover-cli postgresql-15-auto-failover)", output);
        Directory.Delete(root, recursive: true);
    }
}
