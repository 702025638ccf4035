namespace Foobar.LoadBalancer.Tests.Failover;

/// <summary>
/// The failover tests measure time on real processes: they run one at a time, after the parallel tests, so that
/// no other test's process start (JIT on 2 cores) stalls a leader long enough to look dead.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FailoverCollection
{
    public const string Name = "failover";
}
