using System.Globalization;
using Foobar.Launcher.Processes;

namespace Foobar.Launcher.Postgres.Ha;

/// <summary>
/// One <c>pg_autoctl</c> service (the monitor, or a data node with its keeper) as a child process: created on first
/// start (<c>pg_autoctl create ... --run</c>), run on later ones (<c>pg_autoctl run</c>). As root it runs as the
/// <c>postgres</c> user. A small shell guard sends SIGTERM to pg_autoctl when our stdin pipe closes, so a Launcher
/// killed with SIGKILL still leaves no server behind; pg_autoctl then stops its PostgreSQL with a fast shutdown.
/// Supervised the way pg_autoctl's own systemd unit (<c>pg_autoctl show systemd</c>: <c>Restart = always</c>) runs it:
/// a service that dies (a crash, or <c>kill</c> at the prompt) is started again after <see cref="RestartDelay"/>;
/// one stopped on purpose (<c>stop</c>) stays down until it is started.
/// </summary>
public sealed class AutoFailoverService
{
    public const string ServiceUser = "postgres";

    // $0 is the guard's name, "$@" the pg_autoctl command line.
    private const string Guard =
        "exec 3<&0; \"$@\" </dev/null & pid=$!; (cat <&3 >/dev/null; kill -TERM $pid 2>/dev/null) & exec 3<&-; wait $pid";

    /// <summary>
    /// How long a dead service stays down before it is started again. It stands for a machine's reboot rather than
    /// systemd's 100 ms RestartSec: longer than the tuned failover (5-9 s measured here), so a killed primary shows the
    /// whole story, a failover and then the old primary rejoining as a standby, instead of coming back before the monitor
    /// has noticed it was gone.
    /// </summary>
    public static readonly TimeSpan RestartDelay = TimeSpan.FromSeconds(15);

    private readonly Lock _gate = new();
    private readonly AutoFailoverBinaries _binaries;
    private readonly string _root;
    private readonly string _logFile;
    private readonly IReadOnlyList<string> _createArguments;

    public AutoFailoverService(string name, int port, string root, AutoFailoverBinaries binaries, string logFile, IReadOnlyList<string> createArguments)
    {
        Name = name;
        Port = port;
        _root = root;
        _binaries = binaries;
        _logFile = logFile;
        _createArguments = createArguments;
        PgData = Path.Combine(root, name);
    }

    public string Name { get; }

    public int Port { get; }

    public string PgData { get; }

    public ChildProcess? Process { get; private set; }

    public int? Pid => Process is { HasExited: false } process ? process.Pid : null;

    public bool IsRunning => Process is { HasExited: false };

    /// <summary>Set while we stop or kill it on purpose, so the exit is not reported as a crash.</summary>
    public bool ExitExpected { get; private set; }

    /// <summary>Started and not stopped since: the supervisor brings it back when it dies.</summary>
    public bool Wanted { get; private set; }

    /// <summary>When the supervisor starts it again; null while it runs or is stopped.</summary>
    public DateTime? RestartDue { get; private set; }

    /// <summary>What the operator last did or saw: running, stopped, killed, exited (N).</summary>
    public string State { get; set; } = "stopped";

    public string SocketDirectory => Path.Combine(_root, "socket");

    /// <summary>pg_autoctl keeps its configuration under XDG_CONFIG_HOME, keyed by the data directory's path.</summary>
    public string ConfigFile => Path.Combine(_root, "config", "pg_autoctl", PgData.TrimStart('/'), "pg_autoctl.cfg");

    public bool IsCreated => File.Exists(ConfigFile) && File.Exists(Path.Combine(PgData, "PG_VERSION"));

    public void Start()
    {
        lock (_gate)
        {
            if (IsRunning)
            {
                throw new InvalidOperationException($"{Name} is already running (pid {Pid})");
            }

            StartProcess();
        }
    }

    /// <summary>
    /// The supervisor's look at a service, once a second: a dead service that is still wanted gets a restart time
    /// (<see cref="SupervisorStep.Scheduled"/>), and once that time has come, <see cref="SupervisorStep.Due"/>.
    /// </summary>
    public SupervisorStep Supervise(DateTime now)
    {
        lock (_gate)
        {
            if (!Wanted || Process is not { HasExited: true } process)
            {
                return SupervisorStep.None;
            }

            if (RestartDue is null)
            {
                RestartDue = now + RestartDelay;
                State = string.Create(CultureInfo.InvariantCulture,
                    $"{(ExitExpected ? "killed" : $"exited ({process.Exited.Result})")}, restarts in {RestartDelay.TotalSeconds:0} s");
                return SupervisorStep.Scheduled;
            }

            return now >= RestartDue ? SupervisorStep.Due : SupervisorStep.None;
        }
    }

    /// <summary>The supervisor's restart: false when the operator stopped or started it in the meantime.</summary>
    public bool TryRestart()
    {
        lock (_gate)
        {
            if (!Wanted || IsRunning)
            {
                return false;
            }

            StartProcess();
            return true;
        }
    }

    private void StartProcess()
    {
        string[] command = IsCreated
            ? [_binaries.PgAutoCtl, "run", "--pgdata", PgData]
            : [_binaries.PgAutoCtl, .. _createArguments, "--pgdata", PgData, "--pgport", Port.ToString(CultureInfo.InvariantCulture), "--run"];
        // After a SIGKILL pg_autoctl's pid file stays behind; should its PID be reused, pg_autoctl would refuse to start.
        var pidFile = Path.Combine(_root, "run", "pg_autoctl", PgData.TrimStart('/'), "pg_autoctl.pid");
        if (File.Exists(pidFile))
        {
            File.Delete(pidFile);
        }
        ExitExpected = false;
        Wanted = true;
        RestartDue = null;
        State = "starting";
        Process = StartAs(["sh", "-c", Guard, "pg_autoctl-guard", .. command], _logFile);
    }

    /// <summary>Graceful: pg_autoctl gets SIGTERM (through the guard) and stops PostgreSQL with a fast shutdown.</summary>
    public async Task StopAsync()
    {
        lock (_gate)
        {
            Wanted = false;
            RestartDue = null;
        }

        if (Process is not { HasExited: false } process)
        {
            State = "stopped";
            return;
        }

        ExitExpected = true;
        process.CloseStandardInput();
        if (await Task.WhenAny(process.Exited, Task.Delay(TimeSpan.FromSeconds(30))) != process.Exited)
        {
            process.Kill();
            await process.Exited.WaitAsync(TimeSpan.FromSeconds(10));
        }

        State = "stopped";
    }

    /// <summary>
    /// SIGKILL to the whole tree (guard, pg_autoctl, its services, PostgreSQL): the machine lost its power. It stays
    /// wanted, so the supervisor starts it again after <see cref="RestartDelay"/>, as the machine's service manager would
    /// after a reboot.
    /// </summary>
    public async Task KillAsync()
    {
        if (Process is not { HasExited: false } process)
        {
            return;
        }

        ExitExpected = true;
        process.Kill();
        await process.Exited.WaitAsync(TimeSpan.FromSeconds(10));
        State = "killed";
    }

    /// <summary>Runs a pg_autoctl sub-command (e.g. <c>config set</c>) to completion, as the service user.</summary>
    public async Task<int> RunToolAsync(IReadOnlyList<string> arguments, CancellationToken ct)
    {
        await using var tool = StartAs([_binaries.PgAutoCtl, .. arguments, "--pgdata", PgData], _logFile);
        tool.CloseStandardInput();
        return await tool.Exited.WaitAsync(TimeSpan.FromSeconds(30), ct);
    }

    private ChildProcess StartAs(IReadOnlyList<string> command, string logFile)
    {
        // pg_autoctl finds its configuration, state and pid files through the XDG directories, and puts PostgreSQL's
        // Unix socket in PG_REGRESS_SOCK_DIR: all of it stays under our root, out of ~postgres and /var/run.
        string[] environment =
        [
            $"XDG_CONFIG_HOME={Path.Combine(_root, "config")}",
            $"XDG_DATA_HOME={Path.Combine(_root, "share")}",
            $"XDG_RUNTIME_DIR={Path.Combine(_root, "run")}",
            $"PG_REGRESS_SOCK_DIR={SocketDirectory}",
            $"PGHOST={SocketDirectory}",
            $"PATH={_binaries.BinDirectory}:/usr/bin:/bin",
        ];
        return LocalPostgresCluster.RunningAsRoot
            ? ChildProcess.Start("runuser", ["-u", ServiceUser, "--", "env", .. environment, .. command], logFile: logFile, workingDirectory: _root)
            : ChildProcess.Start("env", [.. environment, .. command], logFile: logFile, workingDirectory: _root);
    }
}
