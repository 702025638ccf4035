namespace Foobar.TestSupport;

/// <summary>
/// The PostgreSQL fixture's Testcontainers path even where the server binaries are installed (where the plain fixture
/// prefers the cheaper throwaway cluster), so that the path machines with only an engine take stays tested.
/// </summary>
public sealed class TestcontainersPostgresFixture : PostgresFixture
{
    protected override bool MayUseDocker => true;
}
