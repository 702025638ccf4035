using Foobar.Launcher.Postgres.Ha;

namespace Foobar.Launcher.Tests.Stack;

/// <summary>How the Launcher reads the pg_auto_failover monitor's view of a node.</summary>
public sealed class FormationNodeTests
{
    [Theory]
    [InlineData("primary", "primary", true)]
    [InlineData("wait_primary", "wait_primary", true)]
    [InlineData("single", "single", true)]
    [InlineData("primary", "demoted", false)] // killed primary: its last report stays "primary"
    [InlineData("primary", "draining", false)]
    [InlineData("secondary", "secondary", false)]
    [InlineData("stop_replication", "wait_primary", false)]
    public void IsPrimary_ReportedAndAssigned_BothMustBePrimaryStates(string reported, string assigned, bool expected)
    {
        Assert.Equal(expected, new FormationNode("db-1", 5434, reported, assigned, 0, 1).IsPrimary);
    }

    [Fact]
    public void Describe_InTransition_NamesWhereTheMonitorTakesIt()
    {
        Assert.Equal("secondary", new FormationNode("db-2", 5435, "secondary", "secondary", 0, 1).Describe());
        Assert.Equal("primary, assigned demoted", new FormationNode("db-1", 5434, "primary", "demoted", 0, 0).Describe());
    }
}
