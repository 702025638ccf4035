using System.ComponentModel.DataAnnotations;

namespace Foobar.LoadBalancer.Monitoring;

/// <summary>
/// Configuration section <c>Monitoring</c>: the nodes the stack dashboard (<c>GET /stack</c>) watches. The Launcher
/// lists every node; without a list the dashboard shows this load balancer and its web servers as it sees them.
/// </summary>
internal sealed record MonitoringOptions
{
    public const string Section = "Monitoring";

    public MonitoredNode[] Nodes { get; init; } = [];

    /// <summary>How often every node is polled; also the plots' resolution and the timeline's.</summary>
    [Range(typeof(TimeSpan), "00:00:00.250", "00:01:00")]
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How much history the plots keep.</summary>
    [Range(typeof(TimeSpan), "00:00:10", "01:00:00")]
    public TimeSpan Window { get; init; } = TimeSpan.FromMinutes(5);
}
