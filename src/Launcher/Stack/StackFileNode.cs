namespace Foobar.Launcher.Stack;

public sealed record StackFileNode(string Name, string Role, int? Pid, IReadOnlyList<string> Urls, string? AdminUrl, string State)
{
    /// <summary>With <c>--db-ha</c>: a database node's role as pg_auto_failover reports it (primary, secondary, monitor, ...).</summary>
    public string? Replication { get; init; }

    /// <summary>With <c>--db-ha</c>: how many bytes of WAL a standby's last report trails the primary's.</summary>
    public long? LagBytes { get; init; }
}
