namespace Foobar.Launcher.Postgres;

/// <summary>Finds the PostgreSQL server programs: on PATH first, then Debian's versioned directories.</summary>
internal sealed record PostgresBinaries(string InitDb, string Postgres)
{
    public const string InstallHint =
        "PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found: install them (Debian: apt-get install postgresql) " +
        "or pass a connection string with --connection-string";

    /// <summary>Set to a directory to look only there (for a PostgreSQL not on PATH, and for tests).</summary>
    public const string DirectoryVariable = "FOOBAR_POSTGRES_BIN";

    public static PostgresBinaries? Find()
    {
        var only = Environment.GetEnvironmentVariable(DirectoryVariable);
        var directories = !string.IsNullOrEmpty(only) ? [only] : (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(Directory.Exists("/usr/lib/postgresql")
                ? Directory.GetDirectories("/usr/lib/postgresql").OrderDescending().Select(d => Path.Combine(d, "bin"))
                : []);
        foreach (var directory in directories)
        {
            var initdb = Path.Combine(directory, "initdb");
            var postgres = Path.Combine(directory, "postgres");
            var pgctl = Path.Combine(directory, "pg_ctl");
            // pg_ctl is never run (the launcher runs postgres itself), but beside initdb it marks a server install.
            if (File.Exists(initdb) && File.Exists(pgctl))
            {
                // postgres may live beside the real initdb when PATH holds wrappers; resolve it the same way.
                return new PostgresBinaries(initdb, File.Exists(postgres) ? postgres : FindBeside(initdb) ?? "postgres");
            }
        }

        return null;
    }

    private static string? FindBeside(string program)
    {
        var resolved = new FileInfo(program).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? program;
        var candidate = Path.Combine(Path.GetDirectoryName(resolved)!, "postgres");
        return File.Exists(candidate) ? candidate : null;
    }
}
