using Foobar.TestSupport;

namespace Foobar.AppServer.Tests;

/// <summary>A PostgreSQL of its own, because these tests stop it.</summary>
[CollectionDefinition(Name)]
public sealed class OutageCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "outage";
}
