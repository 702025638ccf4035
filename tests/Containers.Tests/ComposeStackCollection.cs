using Foobar.Containers.Tests.Support;

namespace Foobar.Containers.Tests;

/// <summary>One compose stack for all container tests; they run one after another and leave it healthy.</summary>
[CollectionDefinition(Name)]
public sealed class ComposeStackCollection : ICollectionFixture<ComposeStackFixture>
{
    public const string Name = "compose stack";
}
