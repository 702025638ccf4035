using Foobar.LoadBalancer.Monitoring;

namespace Foobar.LoadBalancer.Tests.Monitoring;

/// <summary>The database card and lanes of the stack dashboard, from what app servers export (their /metrics as text).</summary>
public sealed class DatabaseHealthTests
{
    private static readonly MonitoredNode[] Formation =
    [
        new() { Name = "db-1", Role = "postgres", Url = "postgresql://127.0.0.1:5434" },
        new() { Name = "db-2", Role = "postgres", Url = "postgresql://127.0.0.1:5435" },
    ];

    private static readonly DateTimeOffset At = DateTimeOffset.UnixEpoch.AddHours(1);

    [Fact]
    public void Of_PrimaryAndStandby_NamedWithTheStandbysLag()
    {
        // What prometheus-net prints for DatabaseTopologyMonitor: db-2 was primary once (0 now), its old standby row NaN.
        var app = App("app-1", """
            foobar_health_foobar_health_status{check="database"} 1
            foobar_appserver_database_foobar_db_primary{server="127.0.0.1:5434"} 1
            foobar_appserver_database_foobar_db_primary{server="127.0.0.1:5435"} 0
            foobar_appserver_database_foobar_db_replication_lag{standby="pgautofailover_standby_1"} NaN
            foobar_appserver_database_foobar_db_replication_lag{standby="pgautofailover_standby_2"} 4096
            foobar_appserver_database_foobar_db_replication_replay_lag{standby="pgautofailover_standby_2"} 0.25
            foobar_appserver_database_foobar_db_replication_sync_standbys 1
            """);

        var view = DatabaseHealth.Of([app], Formation, lastPrimary: null);

        Assert.Equal("up", view.State);
        Assert.Equal("db-1", view.Primary);
        Assert.Equal("primary: db-1", view.Summary);
        Assert.Equal(
            [new DatabaseServerView("db-1", "primary", null, null), new DatabaseServerView("db-2", "standby", 4096, 0.25)],
            view.Servers);
        Assert.Contains("synchronous standbys: 1", view.Details);
    }

    [Fact]
    public void Of_NoServerAnswersAsPrimary_DownAndNothingKnownOfTheOthers()
    {
        var app = App("app-1", """
            foobar_health_foobar_health_status{check="database"} 0
            foobar_appserver_database_foobar_db_primary{server="127.0.0.1:5434"} 0
            """);

        var view = DatabaseHealth.Of([app], Formation, lastPrimary: "db-1");

        Assert.Equal("down", view.State);
        Assert.Null(view.Primary);
        Assert.Equal("no server answers as primary", view.Summary);
        Assert.All(view.Servers, s => Assert.Equal("unknown", s.Role));
    }

    [Fact]
    public void Of_AppServersDisagreeDuringAFailover_TheNewPrimaryWins()
    {
        var stale = App("app-1", """foobar_appserver_database_foobar_db_primary{server="127.0.0.1:5434"} 1""");
        var fresh = App("app-2", """foobar_appserver_database_foobar_db_primary{server="127.0.0.1:5435"} 1""");

        var view = DatabaseHealth.Of([stale, fresh], Formation, lastPrimary: "db-1");

        Assert.Equal("db-2", view.Primary);
        // The new primary has no standby yet (the old one is down): not replicating.
        Assert.Equal(new DatabaseServerView("db-1", "not replicating", null, null), view.Servers[0]);
    }

    [Fact]
    public void Of_NoConfiguredServers_ShownByAddress()
    {
        var app = App("app-1", """
            foobar_health_foobar_health_status{check="database"} 1
            foobar_appserver_database_foobar_db_primary{server="10.0.3.4:5432"} 1
            foobar_appserver_database_foobar_db_replication_lag{standby="pgautofailover_standby_2"} 0
            """);

        var view = DatabaseHealth.Of([app], [], lastPrimary: null);

        Assert.Equal("10.0.3.4:5432", view.Primary);
        Assert.Equal(["10.0.3.4:5432", "pgautofailover_standby_2"], view.Servers.Select(s => s.Name));
    }

    [Fact]
    public void Of_OneConfiguredServer_NamedHoweverTheAppReachesIt()
    {
        var app = App("app-1", """foobar_appserver_database_foobar_db_primary{server="local"} 1""");

        var view = DatabaseHealth.Of([app], [new MonitoredNode { Name = "postgres", Role = "postgres" }], lastPrimary: null);

        Assert.Equal("postgres", view.Primary);
    }

    private static NodeReading App(string name, string metrics) =>
        new(new MonitoredNode { Name = name, Role = "app" }, At) { Metrics = new PrometheusText(metrics), Ready = true };
}
