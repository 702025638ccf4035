using System.Runtime.InteropServices;
using Foobar.Launcher.Monitoring;
using Foobar.Launcher.Postgres;
using Foobar.Launcher.Postgres.Ha;
using Foobar.Launcher.Processes;
using Foobar.Launcher.Stack;

namespace Foobar.Launcher;

/// <summary>
/// The Launcher from start to stop: check options and ports, bring up PostgreSQL (or use the given
/// connection string), migrate, start the nodes, print where everything is, take commands, and stop
/// everything in reverse order on Ctrl+C, SIGTERM or <c>quit</c>.
/// </summary>
internal static class LauncherApp
{
    private const int Failure = 1;
    private const int UsageError = 2;

    public static async Task<int> RunAsync(string[] args)
    {
        var console = new StackConsole();
        if (args is ["--help" or "-h", ..])
        {
            console.Line(Usage);
            return 0;
        }

        if (!LauncherOptionsReader.TryRead(args, Environment.GetEnvironmentVariables(), out var options, out var error))
        {
            console.Line($"error: {error}");
            console.Line(Usage);
            return UsageError;
        }

        using var shutdown = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        var dataDirectory = Path.GetFullPath(options.DataDirectory);
        // Keys, the admin token and logs live here: private to this user.
        PrivateFiles.CreateDirectory(dataDirectory);
        if (OtherLauncher(dataDirectory) is { } other)
        {
            console.Line($"error: another Launcher (pid {other}) is running this stack from {dataDirectory}; stop it first (Ctrl+C there, or kill {other})");
            return Failure;
        }

        if (options.Prometheus && PrometheusServer.FindBinary() is null)
        {
            console.Line($"error: {PrometheusServer.InstallHint}");
            return Failure;
        }

        var external = options.ConnectionString ?? Environment.GetEnvironmentVariable("ConnectionStrings__Foobar");
        if (options.DbHa && external is not null)
        {
            console.Line("error: --db-ha starts its own PostgreSQL formation; drop --connection-string (and ConnectionStrings__Foobar) or --db-ha");
            return UsageError;
        }

        LocalPostgresCluster? postgres;
        try
        {
            postgres = external is null && !options.DbHa ? await PostgresProvisioner.LocateAsync(dataDirectory, options.PostgresPort, console.Line) : null;
        }
        catch (InvalidOperationException ex)
        {
            // No PostgreSQL binaries: the message says what to install.
            console.Line($"error: {ex.Message}");
            return Failure;
        }

        var plan = new StackPlan(
            options,
            external ?? postgres?.ConnectionString(PostgresProvisioner.Database, LocalPostgresCluster.AppRole) ?? AutoFailoverCluster.AppConnectionStringFor(options.PostgresPort, options.DbHaTuned),
            dataDirectory,
            Secrets.LoadOrCreate(dataDirectory, "election.key", Secrets.ElectionKey),
            Secrets.LoadOrCreate(dataDirectory, Secrets.AdminTokenFile, Secrets.AdminToken));
        if (!PortsAreFree(plan, postgres, console))
        {
            return Failure;
        }

        return await RunStackAsync(plan, postgres, console, shutdown);

        void Stop(PosixSignalContext context)
        {
            // Cancel the default (immediate exit): we stop the children first.
            context.Cancel = true;
            shutdown.Cancel();
        }
    }

    /// <summary>Brings up PostgreSQL (when local), migrates, starts the nodes, takes commands until shutdown, then stops everything.</summary>
    private static async Task<int> RunStackAsync(StackPlan plan, LocalPostgresCluster? postgres, StackConsole console, CancellationTokenSource shutdown)
    {
        var options = plan.Options;
        StackRunner? runner = null;
        PrometheusServer? prometheus = null;
        AutoFailoverCluster? databaseHa = null;
        try
        {
            if (options.DbHa)
            {
                console.Line($"Starting PostgreSQL with automatic failover (pg_auto_failover monitor on 127.0.0.1:{options.PostgresPort}, db-1 and db-2 on the next ports) ...");
                databaseHa = await AutoFailoverProvisioner.StartAsync(plan.DataDirectory, options.PostgresPort, options.DbHaTuned, console.Line, shutdown.Token);
            }
            else if (postgres is not null)
            {
                console.Line($"Starting PostgreSQL on 127.0.0.1:{options.PostgresPort} ...");
                await PostgresProvisioner.StartAsync(postgres, shutdown.Token);
            }

            console.Line("Applying the schema (AppServer migrate) ...");
            await MigrateAsync(plan, shutdown.Token);

            var postgresUrl = databaseHa is not null ? "" : postgres is null ? "external" : $"postgresql://127.0.0.1:{options.PostgresPort}/{PostgresProvisioner.Database}";
            runner = new StackRunner(plan, plan.DataDirectory, postgres, postgresUrl, console.Line) { DatabaseHa = databaseHa };
            databaseHa?.Changed += runner.WriteStackFile;
            console.Line($"Starting {options.App} app, {options.Web} web and {options.LoadBalancers} load balancer node(s) ...");
            await runner.StartAllAsync(shutdown.Token);
            if (options.Prometheus)
            {
                console.Line($"Starting prometheus on 127.0.0.1:{options.PrometheusPort} (rules: {PrometheusConfig.RulesPath}) ...");
                prometheus = await PrometheusServer.StartAsync(plan, options.PrometheusPort, plan.DataDirectory, shutdown.Token);
                runner.Attach(prometheus.Describe);
            }

            console.Welcome(plan, runner, postgres);

            var prompt = new ConsolePrompt(runner, console, shutdown);
            _ = Task.Run(prompt.RunAsync);
            await Task.Delay(Timeout.Infinite, shutdown.Token).ContinueWith(_ => { });
            console.Line("Stopping the stack ...");
            return 0;
        }
        catch (NodeStartException ex)
        {
            console.Line($"error: {ex.Message}. Its last log lines:");
            foreach (var line in ex.LastLines)
            {
                console.Line($"  {line}");
            }

            return Failure;
        }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
        {
            console.Line("Interrupted during start; stopping what was started ...");
            return Failure;
        }
        catch (Exception ex) when (ex is InvalidOperationException or FileNotFoundException or Npgsql.NpgsqlException)
        {
            console.Line($"error: {ex.Message}");
            return Failure;
        }
        finally
        {
            if (prometheus is not null)
            {
                await prometheus.DisposeAsync();
            }

            if (runner is not null)
            {
                await runner.StopAllAsync();
            }
            else if (postgres is not null)
            {
                await postgres.StopAsync();
            }
            else if (databaseHa is not null)
            {
                await databaseHa.StopAllAsync();
            }

            console.Line("Stopped.");
        }
    }

    /// <summary>Every port of the plan (and the local cluster's) must be free before anything starts; each taken one is named with its owner.</summary>
    private static bool PortsAreFree(StackPlan plan, LocalPostgresCluster? postgres, StackConsole console)
    {
        int[] databasePorts = plan.Options.DbHa ? [plan.Options.PostgresPort, plan.Options.PostgresPort + 1, plan.Options.PostgresPort + 2] : postgres is null ? [] : [postgres.Port];
        var busy = plan.AllPorts.Concat(databasePorts).Concat(plan.Options.Prometheus ? [plan.Options.PrometheusPort] : []).Where(p => !PortOwners.IsFree(p)).ToList();
        foreach (var port in busy)
        {
            console.Line($"error: port {port} on 127.0.0.1 is already in use{(PortOwners.Describe(port) is { } owner ? $" by {owner}" : "")}; stop that process or choose other ports (--http-port, --https-port, --admin-port, --app-port, --web-port, --postgres-port, --prometheus-port)");
        }

        return busy.Count == 0;
    }

    /// <summary>The pid of a live Launcher that runs the stack in <paramref name="dataDirectory"/>, if any.</summary>
    private static int? OtherLauncher(string dataDirectory) =>
        StackFile.Read(Path.Combine(dataDirectory, "stack.json")) is { } previous
        && previous.LauncherPid != Environment.ProcessId && Signals.IsAlive(previous.LauncherPid) && IsLauncher(previous.LauncherPid)
            ? previous.LauncherPid
            : null;

    private static async Task MigrateAsync(StackPlan plan, CancellationToken ct)
    {
        await using var migrate = ChildProcess.Start(
            "dotnet",
            [ServicePaths.Dll("AppServer", plan.Options.Configuration), "migrate"],
            new Dictionary<string, string?> { ["ConnectionStrings__Foobar"] = plan.ConnectionString, ["Node__Name"] = "migrate" },
            logFile: Path.Combine(plan.DataDirectory, "logs", "migrate.log"),
            workingDirectory: ServicePaths.RepositoryRoot);
        migrate.CloseStandardInput();
        var code = await migrate.Exited.WaitAsync(TimeSpan.FromMinutes(2), ct);
        if (code != 0)
        {
            throw new NodeStartException("migrate", $"exit code {code}", migrate.LastLines(10));
        }
    }

    private static bool IsLauncher(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Contains("Launcher", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    private const string Usage = """
        usage: dotnet run --project src/Launcher [-- options]
          --web N                 web servers (default 2)
          --app N                 app servers (default 2)
          --lbs N                 load balancers, 1 or 2 (default 2)
          --http-port P           virtual endpoint, HTTP (default 8080); --https-port (default 8443)
          --admin-port P          lb-1's admin port, lb-2 the next (default 9101)
          --election-port P       lb-1's election UDP port, lb-2 the next (default 9201)
          --app-port B            app-i listens on B+i (default 5100); --web-port B (default 5200)
          --postgres-port P       the local PostgreSQL cluster (default 5433)
          --db-ha                 PostgreSQL primary + standby with automatic failover (pg_auto_failover): monitor on
                                  the postgres port, db-1 and db-2 on the next two; --db-ha-tuned false for the tool's defaults
          --connection-string S   use this PostgreSQL instead of a local cluster (or ConnectionStrings__Foobar)
          --data-dir D            cluster, logs, certificate and stack.json (default .foobar)
          --prometheus            also run Debian's prometheus against every node, with deploy/prometheus/alerts.yml
          --prometheus-port P     its UI and API on 127.0.0.1 (default 9090)
        At the prompt: status | kill NODE | stop NODE | start NODE | quit (NODE: app-1, web-1, lb-1, ..., postgres).
        Ctrl+C stops everything. Each option can also be set as FOOBAR_<OPTION>, e.g. FOOBAR_HTTP_PORT=8081.
        """;
}
