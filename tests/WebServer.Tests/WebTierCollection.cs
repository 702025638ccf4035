namespace Foobar.WebServer.Tests;

/// <summary>Tests on real processes share one PostgreSQL and run one class at a time: a 2-core machine has no room for more.</summary>
[CollectionDefinition(Name)]
public sealed class WebTierCollection : ICollectionFixture<WebTierFixture>
{
    public const string Name = "web tier";
}
