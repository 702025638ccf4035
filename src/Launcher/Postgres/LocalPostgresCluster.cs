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
/// Nobody else on the machine gets in (issue 10's review found <c>--auth=trust</c> and the app as superuser):
/// TCP needs a password (scram-sha-256; the superuser's is generated into a 0600 file), the Unix socket admits
/// only the matching OS user (peer), and the app connects as <see cref="AppRole"/>, which is no superuser and
/// owns only the app's database (and so, PostgreSQL 15's <c>pg_database_owner</c>, its public schema).
/// </summary>
public sealed class LocalPostgresCluster : IAsyncDisposable
{
    public const string SuperUser = "postgres";
    public const string ServiceUser = "postgres";
    public const string AppRole = "foobar_app";

    private const string HbaRules =
        "# Written by the foobar Launcher: the OS user for the socket, a password (scram-sha-256) over TCP.\n" +
        "local all all peer\n" +
        "host all all 127.0.0.1/32 scram-sha-256\n" +
        "host all all ::1/128 scram-sha-256\n";

    // $0=postgres binary, $1=data dir, $2=port, $3=socket dir. On stdin EOF: fast shutdown (SIGINT).
    private const string Guard =
        // A background job's stdin is /dev/null unless redirected, hence the copy of stdin on fd 3.
        "exec 3<&0; \"$0\" -D \"$1\" -p \"$2\" -k \"$3\" -c listen_addresses=127.0.0.1 </dev/null & pid=$!; " +
        "(cat <&3 >/dev/null; kill -INT $pid 2>/dev/null) & exec 3<&-; wait $pid";

    private readonly PostgresBinaries _binaries;
    private readonly Action<string> _log;
    private ChildProcess? _server;
    private bool _createdWithTrust;

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

    /// <summary>The superuser's password, generated at initdb, readable only by its owner.</summary>
    public string SuperUserPasswordFile => Path.Combine(RootDirectory, "superuser.password");

    /// <summary>The app role's password, generated on first use.</summary>
    public string AppPasswordFile => Path.Combine(RootDirectory, "app.password");

    /// <summary>The superuser, for the Launcher's own set-up and for tests that make databases.</summary>
    public string ConnectionString(string database) => Build(SuperUser, File.ReadAllText(SuperUserPasswordFile).Trim(), database);

    /// <summary>The app's role, set up by <see cref="EnsureAppRoleAsync"/>.</summary>
    public string AppConnectionString(string database) => Build(AppRole, File.ReadAllText(AppPasswordFile).Trim(), database);

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
            // A cluster an earlier Launcher made with --auth=trust: given a password and our rules once it runs.
            if (!File.Exists(SuperUserPasswordFile))
            {
                _createdWithTrust = true;
                await CreatePasswordFileAsync(SuperUserPasswordFile);
            }

            return;
        }

        Directory.CreateDirectory(RootDirectory);
        await ChownToServiceUserAsync(RootDirectory);
        _log($"Creating a PostgreSQL cluster in {DataDirectory}");
        await CreatePasswordFileAsync(SuperUserPasswordFile);
        var code = await RunAs(
            [_binaries.InitDb, "-D", DataDirectory, "--auth-local=peer", "--auth-host=scram-sha-256", "-U", SuperUser, $"--pwfile={SuperUserPasswordFile}", "--encoding=UTF8", "--no-instructions"],
            ct);
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

        var socketDirectory = Path.Combine(RootDirectory, "socket");
        Directory.CreateDirectory(socketDirectory);
        await ChownToServiceUserAsync(socketDirectory);
        string[] guard = ["sh", "-c", Guard, _binaries.Postgres, DataDirectory, Port.ToString(System.Globalization.CultureInfo.InvariantCulture), socketDirectory];
        _server = RunningAsRoot
            ? ChildProcess.Start("runuser", ["-u", ServiceUser, "--", .. guard], logFile: Path.Combine(RootDirectory, "postgres.log"))
            : ChildProcess.Start(guard[0], guard[1..], logFile: Path.Combine(RootDirectory, "postgres.log"));
        await WaitUntilAcceptingAsync(TimeSpan.FromSeconds(30), ct);
        if (_createdWithTrust)
        {
            await CloseTrustAsync(ct);
        }
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

    /// <summary>Creates <paramref name="database"/> if it does not exist yet.</summary>
    public async Task EnsureDatabaseAsync(string database, CancellationToken ct = default)
    {
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync(ct);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection) { Parameters = { new() { Value = database } } };
        if (await exists.ExecuteScalarAsync(ct) is null)
        {
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database.Replace("\"", "\"\"")}\"", connection);
            await create.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>
    /// Creates or updates <see cref="AppRole"/>: may log in with its generated password, nothing more (no superuser,
    /// no new databases or roles), and owns <paramref name="database"/> and the tables in its public schema, which is
    /// what EF Core's migrations need. (Owning the database rather than a schema of its own: EF's migration history
    /// check looks in <c>public</c> when the model names no schema, and a database per app is the same fence.)
    /// </summary>
    public async Task EnsureAppRoleAsync(string database, CancellationToken ct = default)
    {
        if (!File.Exists(AppPasswordFile))
        {
            PrivateFiles.Write(AppPasswordFile, NewPassword());
        }

        var password = File.ReadAllText(AppPasswordFile).Trim();
        var quotedDatabase = $"\"{database.Replace("\"", "\"\"")}\"";
        await using (var server = new NpgsqlConnection(ConnectionString("postgres")))
        {
            await server.OpenAsync(ct);
            // The password is hex from our own generator, so it can be a literal (ALTER ROLE takes no parameters).
            await ExecuteAsync(server, $"""
                DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{AppRole}') THEN CREATE ROLE {AppRole}; END IF; END $$;
                ALTER ROLE {AppRole} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD '{password}';
                ALTER DATABASE {quotedDatabase} OWNER TO {AppRole};
                REVOKE ALL ON DATABASE {quotedDatabase} FROM PUBLIC;
                """, ct);
        }

        await using var app = new NpgsqlConnection(ConnectionString(database));
        await app.OpenAsync(ct);
        // Tables an earlier Launcher's migrations made as the superuser: the app role's now (identity sequences follow).
        await ExecuteAsync(app, $"""
            DO $$ DECLARE t record; BEGIN
              FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tableowner <> '{AppRole}' LOOP
                EXECUTE format('ALTER TABLE public.%I OWNER TO {AppRole}', t.tablename);
              END LOOP;
            END $$;
            """, ct);
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private static string NewPassword() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));

    private string Build(string user, string password, string database) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port,
            Username = user,
            Password = password,
            Database = database,
            Pooling = true,
        }.ConnectionString;

    /// <summary>A new 0600 password file; as root handed to the postgres user too, since initdb reads it.</summary>
    private static async Task CreatePasswordFileAsync(string path)
    {
        PrivateFiles.Write(path, NewPassword());
        if (RunningAsRoot)
        {
            await RunProcessAsync("chown", ["-h", $"{ServiceUser}:", path]);
        }
    }

    /// <summary>Gives a trust-era cluster's superuser its password, then replaces the trust rules and reloads.</summary>
    private async Task CloseTrustAsync(CancellationToken ct)
    {
        _log("Securing a PostgreSQL cluster made with trust authentication: password for TCP, peer for the socket");
        await using (var connection = new NpgsqlConnection(ConnectionString("postgres") + ";Pooling=false"))
        {
            await connection.OpenAsync(ct);
            await ExecuteAsync(connection, $"ALTER ROLE {SuperUser} PASSWORD '{File.ReadAllText(SuperUserPasswordFile).Trim()}'", ct);
            // Rewritten in place: the file keeps its owner (postgres) and mode.
            await File.WriteAllTextAsync(Path.Combine(DataDirectory, "pg_hba.conf"), HbaRules, ct);
            await ExecuteAsync(connection, "SELECT pg_reload_conf()", ct);
        }

        NpgsqlConnection.ClearAllPools();
        _createdWithTrust = false;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }

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
