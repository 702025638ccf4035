using Foobar.TestSupport;

namespace Foobar.AppServer.Tests;

/// <summary>Classes that make their own databases (and app servers) on one shared PostgreSQL.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "postgres";
}
