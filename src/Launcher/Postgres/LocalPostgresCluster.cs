using System.Security.Cryptography;
using Foobar.Launcher.Processes;
using Foobar.Launcher.Stack;
using Npgsql;

namespace Foobar.Launcher.Postgres;

/// <summary>
/// A PostgreSQL cluster made from the installed server binaries, for machines without Docker: created on
/// first use under <see cref="DataDirectory"/>, started as a child process, stopped with a fast shutdown.
/// As root it runs as the <c>postgres</c> user, because initdb and postgres refuse to run as root.
/// The server runs under a tiny shell guard that stops it when our stdin pipe closes, so a launcher killed
/// with SIGKILL still leaves no server behind.
/// Nobody is trusted (issue 10): over the Unix socket, in a directory only the server's user can enter, peer
/// authentication lets the Launcher's own OS user in as the superuser or as the app's role (pg_ident.conf), and over
/// TCP every role needs its scram-sha-256 password, generated here and kept 0600 beside the cluster. The app servers
/// connect as <see cref="AppRole"/>, which owns the foobar database and nothing else, as in compose.
/// </summary>
public sealed class LocalPostgresCluster : IAsyncDisposable
{
    public const string SuperUser = "postgres";
    public const string ServiceUser = "postgres";

    /// <summary>The app servers' role, the same name as compose's (deploy/postgres-init).</summary>
    public const string AppRole = "foobar";

    public const string SuperUserPasswordFile = "superuser.password";
    public const string AppPasswordFile = "app.password";

    private const string IdentMap = "launcher";

    // $0=postgres binary, $1=data dir, $2=port, $3=socket dir. On stdin EOF: fast shutdown (SIGINT).
    private const string Guard =
        // A background job's stdin is /dev/null unless redirected, hence the copy of stdin on fd 3.
        "exec 3<&0; \"$0\" -D \"$1\" -p \"$2\" -k \"$3\" -c listen_addresses=127.0.0.1 </dev/null & pid=$!; " +
        "(cat <&3 >/dev/null; kill -INT $pid 2>/dev/null) & exec 3<&-; wait $pid";

    private readonly PostgresBinaries _binaries;
    private readonly Action<string> _log;
    private ChildProcess? _server;

    public LocalPostgresCluster(string rootDirectory, int port, Action<string>? log = null)
    {
        _binaries = PostgresBinaries.Find() ?? throw new InvalidOperationException(PostgresBinaries.InstallHint);
        _log = log ?? (_ => { });
        Port = port;
        RootDirectory = Path.GetFullPath(rootDirectory);
    }

    public string RootDirectory { get; }

    public string DataDirectory => Path.Combine(RootDirectory, "data");

    public int Port { get; }

    public int? Pid => _server is { HasExited: false } server ? server.Pid : null;

    public bool IsRunning => _server is { HasExited: false };

    public static bool RunningAsRoot => Environment.UserName == "root" || Environment.GetEnvironmentVariable("USER") == "root";

    /// <summary>The directory of the server's Unix socket (mode 0700, the server's user's).</summary>
    public string SocketDirectory => Path.Combine(RootDirectory, "socket");

    /// <summary>A connection over the Unix socket with peer authentication: no password, for the Launcher's user only.</summary>
    public string ConnectionString(string database, string user = SuperUser) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = SocketDirectory,
            Port = Port,
            Username = user,
            Database = database,
            Pooling = true,
        }.ConnectionString;

    /// <summary>Where the password for TCP connections as <paramref name="user"/> is kept (0600).</summary>
    public string PasswordFile(string user) => Path.Combine(RootDirectory, user == SuperUser ? SuperUserPasswordFile : AppPasswordFile);

    /// <summary>Whether the postgres user can reach <paramref name="directory"/> (every parent must be traversable).</summary>
    public static async Task<bool> IsReachableByServiceUserAsync(string directory)
    {
        if (!RunningAsRoot)
        {
            return true;
        }

        // test -x on the nearest existing ancestor fails unless every directory above it is traversable too.
        var probe = Path.GetFullPath(directory);
        while (!Directory.Exists(probe))
        {
            probe = Path.GetDirectoryName(probe)!;
        }

        return await RunAs(["test", "-x", probe]) == 0;
    }

    public async Task InitializeAsync(CancellationToken ct = default)
    {
        if (File.Exists(Path.Combine(DataDirectory, "PG_VERSION")))
        {
            return;
        }

        Directory.CreateDirectory(RootDirectory);
        await ChownToServiceUserAsync(RootDirectory);
        _log($"Creating a PostgreSQL cluster in {DataDirectory}");
        var code = await RunAs([_binaries.InitDb, "-D", DataDirectory, "--auth-local=peer", "--auth-host=scram-sha-256", "-U", SuperUser, "--encoding=UTF8", "--no-instructions"], ct);
        if (code != 0)
        {
            throw new InvalidOperationException($"initdb failed with exit code {code} for {DataDirectory}");
        }
    }

    public async Task StartAsync(CancellationToken ct = default)
    {
        if (IsRunning)
        {
            return;
        }

        var socketDirectory = SocketDirectory;
        Directory.CreateDirectory(socketDirectory);
        await ChownToServiceUserAsync(socketDirectory);
        await WriteAuthenticationRulesAsync();
        string[] guard = ["sh", "-c", Guard, _binaries.Postgres, DataDirectory, Port.ToString(System.Globalization.CultureInfo.InvariantCulture), socketDirectory];
        _server = RunningAsRoot
            ? ChildProcess.Start("runuser", ["-u", ServiceUser, "--", .. guard], logFile: Path.Combine(RootDirectory, "postgres.log"))
            : ChildProcess.Start(guard[0], guard[1..], logFile: Path.Combine(RootDirectory, "postgres.log"));
        await WaitUntilAcceptingAsync(TimeSpan.FromSeconds(30), ct);
    }

    public async Task StopAsync()
    {
        if (_server is null)
        {
            return;
        }

        // Closing stdin makes the guard send SIGINT: PostgreSQL's fast shutdown, which aborts open
        // transactions and exits in well under a second.
        _server.CloseStandardInput();
        if (await Task.WhenAny(_server.Exited, Task.Delay(TimeSpan.FromSeconds(30))) != _server.Exited)
        {
            _server.Kill();
        }

        await _server.DisposeAsync();
        _server = null;
        NpgsqlConnection.ClearAllPools();
    }

    /// <summary>SIGKILL of the server and its backends, as a crash or a pulled plug: the next start recovers from the WAL.</summary>
    public async Task KillAsync()
    {
        if (_server is null)
        {
            return;
        }

        // Kill the postmaster and its backends, not the guard shell above them: the shell stays to reap the
        // postmaster. Killing the tree from the top (Process.Kill) orphans the postmaster to PID 1, and where
        // PID 1 does not reap (a container's or CI's init), its zombie keeps postmaster.pid "in use" and the
        // next start refuses with "lock file already exists".
        if (ReadPostmasterPid() is int postmaster && Signals.IsAlive(postmaster))
        {
            // Stopped first, so it cannot fork a replacement backend between the kills.
            Signals.Send(postmaster, Signals.SigStop);
            foreach (var backend in Signals.ChildrenOf(postmaster))
            {
                Signals.Send(backend, Signals.SigKill);
            }

            Signals.Send(postmaster, Signals.SigKill);
        }
        else
        {
            _server.Kill();
        }

        if (await Task.WhenAny(_server.Exited, Task.Delay(TimeSpan.FromSeconds(10))) != _server.Exited)
        {
            _server.Kill();
        }

        await _server.DisposeAsync();
        _server = null;
        NpgsqlConnection.ClearAllPools();
    }

    /// <summary>Creates <paramref name="database"/> if it does not exist yet.</summary>
    public async Task EnsureDatabaseAsync(string database, CancellationToken ct = default)
    {
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync(ct);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection) { Parameters = { new() { Value = database } } };
        if (await exists.ExecuteScalarAsync(ct) is null)
        {
            await ExecuteAsync(connection, $"CREATE DATABASE {Quote(database)}", ct);
        }
    }

    /// <summary>
    /// Gives the superuser and <see cref="AppRole"/> their passwords (made on first use, kept 0600) and makes the app
    /// role the owner of <paramref name="database"/> and of everything in it, as compose's init script does: no
    /// superuser, no other database, no new roles. Run at every start, so a cluster made by an older Launcher (trust,
    /// tables owned by the superuser) is brought to the same state.
    /// </summary>
    public async Task EnsureAppRoleAsync(string database, CancellationToken ct = default)
    {
        var superPassword = Secrets.LoadOrCreate(RootDirectory, SuperUserPasswordFile, NewPassword);
        var appPassword = Secrets.LoadOrCreate(RootDirectory, AppPasswordFile, NewPassword);
        await using (var server = new NpgsqlConnection(ConnectionString("postgres")))
        {
            await server.OpenAsync(ct);
            await ExecuteAsync(server, $"ALTER ROLE {Quote(SuperUser)} PASSWORD '{superPassword}'", ct);
            await ExecuteAsync(server, $$"""
                DO $$ BEGIN
                  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{{AppRole}}') THEN
                    CREATE ROLE {{Quote(AppRole)}};
                  END IF;
                END $$
                """, ct);
            await ExecuteAsync(server, $"ALTER ROLE {Quote(AppRole)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD '{appPassword}'", ct);
            await ExecuteAsync(server, $"ALTER DATABASE {Quote(database)} OWNER TO {Quote(AppRole)}", ct);
            await ExecuteAsync(server, $"REVOKE ALL ON DATABASE {Quote(database)} FROM PUBLIC", ct);
        }

        // Tables an older Launcher's migrations made as the superuser; their identity sequences follow them.
        await using var inDatabase = new NpgsqlConnection(ConnectionString(database));
        await inDatabase.OpenAsync(ct);
        await ExecuteAsync(inDatabase, $$"""
            DO $$ DECLARE r record; BEGIN
              FOR r IN SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                       WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v') AND c.relowner <> '{{AppRole}}'::regrole
              LOOP
                EXECUTE format('ALTER %s %I.%I OWNER TO {{Quote(AppRole)}}', CASE r.relkind WHEN 'v' THEN 'VIEW' ELSE 'TABLE' END, r.nspname, r.relname);
              END LOOP;
            END $$
            """, ct);
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private async Task WaitUntilAcceptingAsync(TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_server!.HasExited)
            {
                throw new InvalidOperationException(
                    $"PostgreSQL exited during start (port {Port} in use?): {string.Join(" | ", _server.LastLines(5))}");
            }

            try
            {
                await using var connection = new NpgsqlConnection(ConnectionString("postgres") + ";Pooling=false;Timeout=2");
                await connection.OpenAsync(ct);
                return;
            }
            catch (NpgsqlException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, ct);
            }
        }
    }

    /// <summary>
    /// pg_hba.conf and pg_ident.conf, rewritten at every start: peer over the socket for the Launcher's own user (as the
    /// superuser or the app role), scram-sha-256 over TCP on loopback, nothing else and no trust.
    /// </summary>
    private async Task WriteAuthenticationRulesAsync()
    {
        var launcherUser = Environment.UserName;
        var hba = Path.Combine(DataDirectory, "pg_hba.conf");
        var ident = Path.Combine(DataDirectory, "pg_ident.conf");
        await File.WriteAllTextAsync(hba, $"""
            # Written by the Launcher at every start; edits are lost. No trust anywhere (issue 10).
            # Unix socket (a directory only the server's user enters): peer, mapped in pg_ident.conf.
            local   all  all                 peer map={IdentMap}
            # TCP on loopback: the role's password (scram-sha-256), kept in {RootDirectory}/*.password (0600).
            host    all  all  127.0.0.1/32   scram-sha-256
            host    all  all  ::1/128        scram-sha-256

            """);
        await File.WriteAllTextAsync(ident, $"""
            # Written by the Launcher at every start: who may connect over the socket, as which role.
            {IdentMap}  {launcherUser}  {SuperUser}
            {IdentMap}  {launcherUser}  {AppRole}
            {IdentMap}  {ServiceUser}  {SuperUser}

            """);
        if (RunningAsRoot)
        {
            await RunProcessAsync("chown", [$"{ServiceUser}:", hba, ident]);
        }
    }

    private static string NewPassword() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

    private static string Quote(string identifier) => $"\"{identifier.Replace("\"", "\"\"")}\"";

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    private int? ReadPostmasterPid()
    {
        try
        {
            // The first line of postmaster.pid is the postmaster's PID.
            var firstLine = File.ReadLines(Path.Combine(DataDirectory, "postmaster.pid")).FirstOrDefault();
            return int.TryParse(firstLine, out var pid) ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static async Task ChownToServiceUserAsync(string directory)
    {
        if (RunningAsRoot)
        {
            await RunProcessAsync("chown", [$"{ServiceUser}:", directory]);
            // initdb also wants the data directory's parent to be ours or empty; 0700 keeps it private.
            await RunProcessAsync("chmod", ["0700", directory]);
        }
    }

    private static Task<int> RunAs(IReadOnlyList<string> command, CancellationToken ct = default) =>
        RunningAsRoot
            ? RunProcessAsync("runuser", ["-u", ServiceUser, "--", .. command], ct)
            : RunProcessAsync(command[0], command.Skip(1).ToArray(), ct);

    private static async Task<int> RunProcessAsync(string fileName, IReadOnlyList<string> arguments, CancellationToken ct = default)
    {
        await using var process = ChildProcess.Start(fileName, arguments);
        process.CloseStandardInput();
        return await process.Exited.WaitAsync(ct);
    }
}
