using Foobar.Containers.Tests.Support;

namespace Foobar.Containers.Tests;

/// <summary>
/// The address-mode stack. Not in parallel with the main stack's collection: two stacks at once on a 2-core CI machine
/// would blur both sets of failover timings; this one comes up after the main one is down.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AddressModeStackCollection : ICollectionFixture<AddressModeStackFixture>
{
    public const string Name = "address-mode compose stack";
}
