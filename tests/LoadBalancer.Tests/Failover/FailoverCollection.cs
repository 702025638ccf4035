namespace Foobar.LoadBalancer.Tests.Failover;

/// <summary>
/// The tests that measure time on real sockets and clocks (the failover tests' processes, and the election's, the
/// listen endpoint's and the witness's in-process pairs) run one at a time, after the parallel tests, so that no other
/// test's process start (JIT on 2 cores) stalls a leader long enough to look dead: an in-process pair in the parallel
/// part once had both nodes Master for a sample, in a rehearsal of the full suite.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FailoverCollection
{
    public const string Name = "failover";
}
