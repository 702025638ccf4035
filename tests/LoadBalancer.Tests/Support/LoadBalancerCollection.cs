namespace Foobar.LoadBalancer.Tests.Support;

/// <summary>Test classes that share one load balancer process (<see cref="LoadBalancerFixture"/>) and run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class LoadBalancerCollection : ICollectionFixture<LoadBalancerFixture>
{
    public const string Name = "load balancer";
}
