namespace Foobar.AppServer.Tests;

[CollectionDefinition(Name)]
public sealed class AppTierCollection : ICollectionFixture<AppTierFixture>
{
    public const string Name = "app tier";
}
