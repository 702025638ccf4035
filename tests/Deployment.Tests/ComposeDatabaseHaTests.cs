using Foobar.Deployment.Tests.Support;
using Foobar.TestSupport;

namespace Foobar.Deployment.Tests;

/// <summary>
/// docker-compose.db-ha.yml layered over the main file: the pg_auto_failover formation of the Launcher's --db-ha
/// (monitor, db-1 as `postgres`, db-2 as `postgres-2`), on the data network only, with the app tier finding the primary.
/// </summary>
public sealed class ComposeDatabaseHaTests
{
    private const string Overlay = "docker-compose.db-ha.yml";
    private static readonly string[] Formation = ["pg-monitor", "postgres", "postgres-2"];

    [Fact]
    public async Task Formation_ThreeServicesFromThePgAutoFailoverImage_OnTheDataNetworkOnly()
    {
        var compose = await ComposeFile.LoadAsync(Overlay);

        foreach (var name in Formation)
        {
            var service = compose.Services[name];
            Assert.Equal("foobar/postgres-ha:local", service.Image);
            Assert.Equal("deploy/postgres-ha/Dockerfile", service.Dockerfile);
            Assert.Equal(["data"], service.Networks);
            Assert.Empty(service.Ports);
            Assert.Equal(["CMD", "pg-ha-node", "healthcheck"], service.Node["healthcheck"]!["test"]!.AsArray().Select(t => (string)t!));
        }

        Assert.Equal("monitor", compose.Services["pg-monitor"].Environment["PG_HA_ROLE"]);
        Assert.Equal(("node", "db-1"), (compose.Services["postgres"].Environment["PG_HA_ROLE"], compose.Services["postgres"].Environment["PG_HA_NAME"]));
        Assert.Equal(("node", "db-2"), (compose.Services["postgres-2"].Environment["PG_HA_ROLE"], compose.Services["postgres-2"].Environment["PG_HA_NAME"]));
        // db-1 registers first (it becomes the primary), after the monitor is up; each node has its own volume.
        Assert.Equal("service_healthy", compose.Services["postgres"].DependsOn["pg-monitor"]);
        Assert.Equal("service_healthy", compose.Services["postgres-2"].DependsOn["postgres"]);
        var volumes = Formation.Select(n => compose.Services[n].Node["volumes"]!.AsArray().Select(v => v!.ToString())
            .Single(v => v.Contains(":/var/lib/postgresql/data", StringComparison.Ordinal)).Split(':')[0]).ToList();
        Assert.Equal(volumes.Count, volumes.Distinct().Count());
    }

    [Fact]
    public async Task AppTier_ListsBothNodes_AndTargetsThePrimary()
    {
        var compose = await ComposeFile.LoadAsync(Overlay);

        foreach (var name in new[] { "migrate", "app" })
        {
            var connection = compose.Services[name].Environment["ConnectionStrings__Foobar"].Split(';')
                .Select(pair => pair.Split('=', 2)).ToDictionary(p => p[0], p => p[1], StringComparer.OrdinalIgnoreCase);
            Assert.Equal("postgres,postgres-2", connection["Host"]);
            Assert.Equal("primary", connection["Target Session Attributes"]);
            Assert.Equal("service_healthy", compose.Services[name].DependsOn["postgres-2"]);
        }
    }

    [Fact]
    public async Task NodeScript_IsValidShell_AndRefusesAnUnknownRole()
    {
        var script = Path.Combine(RepoPaths.Root, "deploy", "postgres-ha", "pg-ha-node.sh");
        var syntax = await CommandLine.RunAsync("sh", ["-n", script], Environment.CurrentDirectory, TimeSpan.FromMinutes(1));
        Assert.True(syntax.ExitCode == 0, $"sh -n: {syntax}");

        var temporary = Directory.CreateTempSubdirectory("foobar-pgha-");
        try
        {
            var run = await CommandLine.RunAsync("sh", [script], temporary.FullName, TimeSpan.FromMinutes(1),
                new Dictionary<string, string?> { ["PG_HA_ROLE"] = "primary" });
            Assert.Equal(2, run.ExitCode);
            Assert.Contains("PG_HA_ROLE must be monitor or node", run.Output, StringComparison.Ordinal);
        }
        finally
        {
            temporary.Delete(recursive: true);
        }
    }
}
