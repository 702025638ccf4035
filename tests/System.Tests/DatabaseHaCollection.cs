namespace Foobar.System.Tests;

/// <summary>The database failover test runs alone: its unavailability windows are measured, and other stacks' load skews them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DatabaseHaCollection
{
    public const string Name = "database-ha";
}
