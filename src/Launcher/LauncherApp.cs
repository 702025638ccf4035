using System.ComponentModel.DataAnnotations;
using System.Runtime.InteropServices;
using Foobar.Launcher.Postgres;
using Foobar.Launcher.Postgres.Ha;
using Foobar.Launcher.Processes;
using Foobar.Launcher.Stack;
using Microsoft.Extensions.Configuration;

namespace Foobar.Launcher;

/// <summary>
/// The Launcher from start to stop: check options and ports, bring up PostgreSQL (or use the given
/// connection string), migrate, start the nodes, print where everything is, take commands, and stop
/// everything in reverse order on Ctrl+C, SIGTERM or <c>quit</c>.
/// </summary>
internal static class LauncherApp
{
    private const int Failure = 1;

    public static async Task<int> RunAsync(string[] args)
    {
        var console = new StackConsole();
        if (args is ["--help" or "-h", ..])
        {
            console.Line(Usage);
            return 0;
        }

        if (!TryReadOptions(args, out var options, out var error))
        {
            console.Line($"error: {error}");
            console.Line(Usage);
            return 2;
        }

        using var shutdown = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

        var dataDirectory = Path.GetFullPath(options.DataDirectory);
        Directory.CreateDirectory(dataDirectory);
        if (StackFile.Read(Path.Combine(dataDirectory, "stack.json")) is { } previous
            && previous.LauncherPid != Environment.ProcessId && Signals.IsAlive(previous.LauncherPid)
            && IsLauncher(previous.LauncherPid))
        {
            console.Line($"error: another Launcher (pid {previous.LauncherPid}) is running this stack from {dataDirectory}; stop it first (Ctrl+C there, or kill {previous.LauncherPid})");
            return Failure;
        }

        var connectionString = options.ConnectionString ?? Environment.GetEnvironmentVariable("ConnectionStrings__Foobar");
        if (options.DbHa && connectionString is not null)
        {
            console.Line("error: --db-ha starts its own PostgreSQL formation; drop --connection-string (and ConnectionStrings__Foobar) or --db-ha");
            return 2;
        }

        var electionKey = Secrets.LoadOrCreate(dataDirectory, "election.key", Secrets.ElectionKey);
        var adminToken = Secrets.LoadOrCreate(dataDirectory, "admin.token", Secrets.AdminToken);
        var plan = new StackPlan(options, connectionString ?? "", dataDirectory, electionKey, adminToken);

        int[] databasePorts = connectionString is not null ? [] : options.DbHa ? [options.PostgresPort, options.PostgresPort + 1, options.PostgresPort + 2] : [options.PostgresPort];
        var busy = plan.AllPorts.Concat(databasePorts).Where(p => !PortOwners.IsFree(p)).ToList();
        if (busy.Count > 0)
        {
            foreach (var port in busy)
            {
                console.Line($"error: port {port} on 127.0.0.1 is already in use{(PortOwners.Describe(port) is { } owner ? $" by {owner}" : "")}; stop that process or choose other ports (--http-port, --https-port, --admin-port, --app-port, --web-port, --postgres-port)");
            }

            return Failure;
        }

        LocalPostgresCluster? postgres = null;
        AutoFailoverCluster? databaseHa = null;
        StackRunner? runner = null;
        try
        {
            if (connectionString is null && options.DbHa)
            {
                console.Line($"Starting PostgreSQL with automatic failover (pg_auto_failover monitor on 127.0.0.1:{options.PostgresPort}, db-1 and db-2 on the next ports) ...");
                databaseHa = await AutoFailoverProvisioner.StartAsync(dataDirectory, options.PostgresPort, options.DbHaTuned, console.Line, shutdown.Token);
                connectionString = databaseHa.AppConnectionString;
                plan = new StackPlan(options, connectionString, dataDirectory, electionKey, adminToken);
            }
            else if (connectionString is null)
            {
                if (PostgresBinaries.Find() is null)
                {
                    console.Line($"error: {PostgresBinaries.InstallHint}");
                    return Failure;
                }

                console.Line($"Starting PostgreSQL on 127.0.0.1:{options.PostgresPort} ...");
                postgres = await PostgresProvisioner.StartAsync(dataDirectory, options.PostgresPort, console.Line, shutdown.Token);
                connectionString = postgres.ConnectionString(PostgresProvisioner.Database);
                plan = new StackPlan(options, connectionString, dataDirectory, electionKey, adminToken);
            }

            console.Line("Applying the schema (AppServer migrate) ...");
            await MigrateAsync(options, connectionString, dataDirectory, shutdown.Token);

            var postgresUrl = databaseHa is not null ? "" : postgres is null ? "external" : $"postgresql://127.0.0.1:{options.PostgresPort}/{PostgresProvisioner.Database}";
            runner = new StackRunner(plan, dataDirectory, postgres, postgresUrl, console.Line) { DatabaseHa = databaseHa };
            databaseHa?.Changed += runner.WriteStackFile;
            console.Line($"Starting {options.App} app, {options.Web} web and {options.LoadBalancers} load balancer node(s) ...");
            await runner.StartAllAsync(shutdown.Token);
            console.Welcome(plan, runner);

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

        void Stop(PosixSignalContext context)
        {
            // Cancel the default (immediate exit): we stop the children first.
            context.Cancel = true;
            shutdown.Cancel();
        }
    }

    private static async Task MigrateAsync(LauncherOptions options, string connectionString, string dataDirectory, CancellationToken ct)
    {
        await using var migrate = ChildProcess.Start(
            "dotnet",
            [ServicePaths.Dll("AppServer", options.Configuration), "migrate"],
            new Dictionary<string, string?> { ["ConnectionStrings__Foobar"] = connectionString, ["Node__Name"] = "migrate" },
            logFile: Path.Combine(dataDirectory, "logs", "migrate.log"),
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

    /// <summary><c>--db-ha</c> alone means <c>--db-ha true</c>; configuration's command-line reader wants a value.</summary>
    private static string[] ExpandFlags(string[] args) =>
        [.. args.Select((a, i) => LauncherOptions.Flags.Contains(a) && (i + 1 == args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal)) ? $"{a}=true" : a)];

    private static bool TryReadOptions(string[] args, out LauncherOptions options, out string error)
    {
        options = new LauncherOptions();
        error = "";
        IConfiguration configuration;
        try
        {
            configuration = new ConfigurationBuilder()
                .AddEnvironmentVariables("FOOBAR_")
                .AddCommandLine(ExpandFlags(args), LauncherOptions.Switches.ToDictionary())
                .Build();
            options = configuration.Get<LauncherOptions>() ?? new LauncherOptions();
        }
        catch (Exception ex) when (ex is FormatException or InvalidOperationException)
        {
            error = ex.Message;
            return false;
        }

        var known = typeof(LauncherOptions).GetProperties().Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var fromCommandLine = args.Where(a => a.StartsWith("--", StringComparison.Ordinal)).Select(a => a.Split('=')[0]);
        if (fromCommandLine.FirstOrDefault(a => !LauncherOptions.Switches.ContainsKey(a) && !known.Contains(a[2..])) is { } unknown)
        {
            error = $"unknown option {unknown}";
            return false;
        }

        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true))
        {
            error = string.Join("; ", results.Select(r => $"--{string.Join(",", r.MemberNames).ToLowerInvariant()}: {r.ErrorMessage}"));
            return false;
        }

        return true;
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
        At the prompt: status | kill NODE | stop NODE | start NODE | quit. Ctrl+C stops everything.
        """;
}
