namespace Foobar.LoadBalancer.Monitoring;

/// <summary>
/// The body of <c>GET /stack.json</c>: every node's health and recent numbers, the database, and who held the
/// virtual endpoint when. <c>?since=</c> (Unix milliseconds) limits the points to newer ones, so the page polls cheaply.
/// </summary>
internal sealed record StackView(
    string Node,
    DateTimeOffset At,
    double IntervalSeconds,
    double WindowSeconds,
    IReadOnlyList<NodeView> Nodes,
    DatabaseView Database,
    IReadOnlyList<TimelineLane> Timeline,
    IReadOnlyList<TimelineEvent> Transitions);

/// <summary>One node: <c>up</c>, <c>degraded</c> (answers but not fully healthy), <c>down</c> or <c>unknown</c>.</summary>
internal sealed record NodeView(string Name, string Role, string State, string Summary, IReadOnlyList<string> Details, IReadOnlyList<SeriesPoint> Points);

/// <summary>
/// One poll's numbers for one node (null where the node does not measure it or nothing happened): requests and
/// errors per second, latency percentiles in ms over that interval (a load balancer's and web server's from the load
/// balancers' windows), CPU in cores, working set in MiB, GC pause in ms per second, thread-pool queue length.
/// </summary>
internal sealed record SeriesPoint(
    long T,
    double? Rps,
    double? Eps,
    double? P50,
    double? P99,
    double? Cpu,
    double? MemoryMib,
    double? GcMsPerSecond,
    double? ThreadPoolQueue);

/// <summary>
/// PostgreSQL as the app servers see it (their database health check). Issue 16's primary/standby view and
/// replication lag belong here: add fields (or <see cref="Details"/> lines) and the page's database card shows them.
/// </summary>
internal sealed record DatabaseView(string State, string Summary, IReadOnlyList<string> Details);

internal sealed record TimelineLane(string Node, IReadOnlyList<TimelineSegment> Segments);

/// <summary><c>holds</c> (the endpoint), <c>master</c> (leader, endpoint not yet open), <c>backup</c>, <c>down</c> (not answering).</summary>
internal sealed record TimelineSegment(string State, DateTimeOffset From, DateTimeOffset To);

internal sealed record TimelineEvent(DateTimeOffset At, string Node, string From, string To, string? Reason);
