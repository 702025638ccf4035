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
    IReadOnlyList<TimelineLane> DatabaseTimeline,
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
/// PostgreSQL as the app servers see it (<see cref="DatabaseHealth"/>): overall state from their database checks, the
/// server that answers as primary (a name where the Launcher configured one, else its address), and every server.
/// </summary>
internal sealed record DatabaseView(string State, string Summary, IReadOnlyList<string> Details, string? Primary, IReadOnlyList<DatabaseServerView> Servers);

/// <summary>
/// One database server: <c>primary</c>, <c>standby</c> (with the WAL bytes it has not replayed and pg_stat_replication's
/// replay lag in seconds, null where unknown), <c>not replicating</c> (a primary answers and this one is not its standby),
/// or <c>unknown</c> (no server answers as primary, so nothing is known of the others).
/// </summary>
internal sealed record DatabaseServerView(string Name, string Role, double? LagBytes, double? LagSeconds);

internal sealed record TimelineLane(string Node, IReadOnlyList<TimelineSegment> Segments);

/// <summary>
/// An election lane: <c>holds</c> (the endpoint), <c>master</c> (leader, endpoint not yet open), <c>backup</c>, <c>down</c>
/// (not answering); a database lane: a <see cref="DatabaseServerView.Role"/>.
/// </summary>
internal sealed record TimelineSegment(string State, DateTimeOffset From, DateTimeOffset To);

internal sealed record TimelineEvent(DateTimeOffset At, string Node, string From, string To, string? Reason);
