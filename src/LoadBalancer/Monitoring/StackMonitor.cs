using Foobar.LoadBalancer.Election.Protocol;
using Foobar.LoadBalancer.Listeners;
using Foobar.Proxy;
using Foobar.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace Foobar.LoadBalancer.Monitoring;

/// <summary>
/// Polls every node of the stack each <see cref="MonitoringOptions.Interval"/> and keeps the last
/// <see cref="MonitoringOptions.Window"/> of points, the health of each node, and the endpoint timeline, for the stack
/// dashboard. It runs in each load balancer, so whichever one survives a failover still has the history.
/// </summary>
internal sealed class StackMonitor(
    NodeProbe probe,
    ProxyCluster cluster,
    IOptions<MonitoringOptions> options,
    IOptions<NodeOptions> node,
    IOptions<AdminOptions> admin,
    IHostApplicationLifetime lifetime,
    TimeProvider time) : BackgroundService
{
    /// <summary>The role of database servers in <see cref="MonitoringOptions.Nodes"/>.</summary>
    public const string DatabaseRole = "postgres";

    private readonly MonitoringOptions _options = options.Value;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, NodeReading> _previous = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Queue<SeriesPoint>> _points = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string State, string Summary, List<string> Details, string Role)> _health = new(StringComparer.Ordinal);
    private readonly EndpointTimeline _timeline = new();
    private readonly EndpointTimeline _databaseTimeline = new();
    private readonly SortedDictionary<(DateTimeOffset, string), TimelineEvent> _transitions = [];
    private DatabaseView _database = new("unknown", "not polled yet", [], null, []);
    private string? _lastPrimary;
    private List<MonitoredNode> _order = [];

    public StackView Snapshot(long sinceUnixMs)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            var nodes = _order.Where(n => _health.ContainsKey(n.Name)).Select(n =>
            {
                var h = _health[n.Name];
                var points = _points.TryGetValue(n.Name, out var q) ? q.Where(p => p.T > sinceUnixMs).ToList() : [];
                return new NodeView(n.Name, n.Role, h.State, h.Summary, h.Details, points);
            }).ToList();
            return new StackView(node.Value.Name, now, _options.Interval.TotalSeconds, _options.Window.TotalSeconds, nodes, _database,
                _timeline.Snapshot(now - _options.Window), _databaseTimeline.Snapshot(now - _options.Window), _transitions.Values.Where(t => t.At > now - _options.Window).ToList());
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // From the moment this node's own listeners answer: a poll before that would show it down at every start.
        using (var started = CancellationTokenSource.CreateLinkedTokenSource(lifetime.ApplicationStarted, stoppingToken))
        {
            await Task.Delay(Timeout.Infinite, started.Token).ContinueWith(_ => { }, TaskScheduler.Default);
        }

        if (stoppingToken.IsCancellationRequested)
        {
            return;
        }
        using var timer = new PeriodicTimer(_options.Interval, time);
        do
        {
            var nodes = Nodes();
            // Database servers are seen through the app tier, never polled from the edge.
            var readings = await Task.WhenAll(nodes.Where(n => n.Role != DatabaseRole).Select(n => probe.ReadAsync(n, stoppingToken)));
            Record(nodes, readings);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>The configured list, or else this load balancer and its web servers as it knows them.</summary>
    private List<MonitoredNode> Nodes()
    {
        if (_options.Nodes.Length > 0)
        {
            return [.. _options.Nodes];
        }

        var self = KestrelUrl.TryParse(admin.Value.Url, out var uri) ? $"http://{(uri.Host is "0.0.0.0" or "[::]" ? "127.0.0.1" : uri.Host)}:{uri.Port}" : null;
        return
        [
            new MonitoredNode { Name = node.Value.Name, Role = "lb", ManagementUrl = self },
            .. cluster.Destinations().Select(d => new MonitoredNode { Name = d.Id, Role = "web", Url = d.Address }),
        ];
    }

    private void Record(List<MonitoredNode> nodes, NodeReading[] readings)
    {
        string NameOf(string id) => nodes.FirstOrDefault(n => n.Url is { } url && (Authority(url) == id || url.TrimEnd('/') == id.TrimEnd('/')))?.Name ?? id;

        lock (_gate)
        {
            var loadBalancers = readings.Where(r => r.Node.Role == "lb").Select(r => (Now: r, Before: _previous.GetValueOrDefault(r.Node.Name))).ToList();
            foreach (var reading in readings)
            {
                var point = StackPoints.For(reading, _previous.GetValueOrDefault(reading.Node.Name), loadBalancers, NameOf);
                if (!_points.TryGetValue(reading.Node.Name, out var queue))
                {
                    _points[reading.Node.Name] = queue = new Queue<SeriesPoint>();
                }

                queue.Enqueue(point);
                while (queue.Count > 0 && queue.Peek().T < (reading.At - _options.Window).ToUnixTimeMilliseconds())
                {
                    queue.Dequeue();
                }

                var (state, summary, details) = StackHealth.Of(reading, readings, NameOf);
                _health[reading.Node.Name] = (state, summary, details, reading.Node.Role);
            }

            foreach (var (now, before) in loadBalancers)
            {
                ObserveElection(now, before, readings);
            }

            ObserveDatabase(DatabaseHealth.Of(readings, nodes.Where(n => n.Role == DatabaseRole).ToList(), _lastPrimary), time.GetUtcNow());
            _order = nodes;
            foreach (var reading in readings)
            {
                _previous[reading.Node.Name] = reading;
            }
        }
    }

    /// <summary>
    /// A lane per database server on the timeline, and the primary's changes as transitions: a new primary, or none
    /// left. Dated by this poll: the app servers look every 2 s, so a change shows up to about 3 s late.
    /// </summary>
    private void ObserveDatabase(DatabaseView database, DateTimeOffset at)
    {
        foreach (var server in database.Servers)
        {
            _databaseTimeline.Observe(server.Name, server.Role, at, null);
        }

        if (database.Primary is { } primary && primary != _lastPrimary)
        {
            if (_lastPrimary is not null)
            {
                _transitions[(at, primary)] = new TimelineEvent(at, primary, "standby", "primary", $"database failover: {_lastPrimary} was the primary");
            }

            _lastPrimary = primary;
        }
        else if (database.Primary is null && _database.Primary is { } lost && database.State != "unknown")
        {
            _transitions[(at, lost)] = new TimelineEvent(at, lost, "primary", "no primary", "no database server answers as primary");
        }

        _database = database;
    }

    private void ObserveElection(NodeReading now, NodeReading? before, NodeReading[] readings)
    {
        var name = now.Node.Name;
        if (!now.Reachable)
        {
            // It stopped answering: it held whatever it held until the last advertisement a peer heard from it.
            var lastHeard = readings.Where(r => r.LbStatus?.Election is not null && r.Node.Name != name)
                .SelectMany(r => r.LbStatus!.Election!.Peers).Where(p => p.Node == name).Select(p => (DateTimeOffset?)p.HeardAt).Max();
            _timeline.Observe(name, "down", now.At, lastHeard is { } heard && before is not null && heard > before.At ? heard : before?.At);
            return;
        }

        if (now.LbStatus?.Election is not { } election)
        {
            _timeline.Observe(name, "holds", now.At, null);
            return;
        }

        DateTimeOffset? becameMaster = null;
        foreach (var t in election.History)
        {
            _transitions[(t.At, name)] = new TimelineEvent(t.At, name, t.From.ToString(), t.To.ToString(), t.Reason);
            if (t.To == VrrpState.Master)
            {
                becameMaster = t.At;
            }
        }

        var label = election.HoldsEndpoint ? "holds" : election.State == VrrpState.Master ? "master" : "backup";
        // Only a transition since the previous poll dates this change; an older one belongs to an earlier lead.
        var exact = label is "holds" or "master" && becameMaster is { } m && (before is null || m > before.At) ? becameMaster : null;
        _timeline.Observe(name, label, now.At, exact);
    }

    private static string Authority(string url) => Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.Authority : url;
}
