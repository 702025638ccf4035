using Foobar.Launcher.Processes;
using Npgsql;

namespace Foobar.Launcher.Postgres;

/// <summary>
/// A PostgreSQL cluster made from the installed server binaries, for machines without Docker: created on
/// first use under <see cref="DataDirectory"/>, started as a child process, stopped with a fast shutdown.
/// As root it runs as the <c>postgres</c> user, because initdb and postgres refuse to run as root.
/// The server runs under a tiny shell guard that stops it when our stdin pipe closes, so a launcher killed
/// with SIGKILL still leaves no server behind.
/// </summary>
public sealed class LocalPostgresCluster : IAsyncDisposable
{
    public const string SuperUser = "postgres";
    public const string ServiceUser = "postgres";

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

    public string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port,
            Username = SuperUser,
            Database = database,
            Pooling = true,
        }.ConnectionString;

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
        var code = await RunAs([_binaries.InitDb, "-D", DataDirectory, "--auth=trust", "-U", SuperUser, "--encoding=UTF8", "--no-instructions"], ct);
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
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database.Replace("\"", "\"\"")}\"", connection);
            await create.ExecuteNonQueryAsync(ct);
        }
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
