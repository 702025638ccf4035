namespace Foobar.TestSupport;

/// <summary>
/// The PostgreSQL fixture's throwaway-cluster path even where a Docker engine answers (CI has one), so that the path
/// machines without an engine take stays tested.
/// </summary>
public sealed class LocalClusterPostgresFixture : PostgresFixture
{
    protected override bool MayUseDocker => false;
}
