namespace Foobar.Launcher.Postgres.Ha;

/// <summary>pg_auto_failover's <c>pg_autoctl</c> beside the PostgreSQL server binaries it drives.</summary>
public sealed record AutoFailoverBinaries(string PgAutoCtl, string PgCtl)
{
    /// <summary>The PostgreSQL version's own bin directory (pg_autoctl runs initdb, pg_basebackup, pg_rewind from there).</summary>
    public string BinDirectory => Path.GetDirectoryName(PgCtl)!;

    public const string InstallHint =
        "--db-ha needs pg_auto_failover: install it (Debian: apt-get install pg-auto-failover-cli postgresql-15-auto-failover) " +
        "besides the PostgreSQL server (postgresql)";

    public static AutoFailoverBinaries? Find()
    {
        if (PostgresBinaries.Find() is not { } postgres)
        {
            return null;
        }

        // PATH may hold symbolic links (/usr/local/bin/pg_ctl): pg_autoctl wants the real directory of one version.
        var initdb = new FileInfo(postgres.InitDb).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? postgres.InitDb;
        var pgctl = Path.Combine(Path.GetDirectoryName(initdb)!, "pg_ctl");
        var pgautoctl = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Append(Path.GetDirectoryName(pgctl)!)
            .Append("/usr/bin")
            .Select(d => Path.Combine(d, "pg_autoctl"))
            .FirstOrDefault(File.Exists);
        // The monitor needs the pgautofailover extension built for this PostgreSQL (postgresql-15-auto-failover).
        var extension = Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(pgctl)!)!, "lib", "pgautofailover.so");
        return pgautoctl is not null && File.Exists(pgctl) && File.Exists(extension) ? new AutoFailoverBinaries(pgautoctl, pgctl) : null;
    }
}
