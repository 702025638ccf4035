namespace Foobar.LoadBalancer.Monitoring;

/// <summary>
/// Who held the virtual endpoint when, one lane per load balancer, built from the polls. A change starts at the
/// exact time the node reports when it has one (its own Backup -> Master transition; for a node that stopped
/// answering, the last advertisement its peer heard from it), else at the poll that saw it; so a failover gap is as
/// precise as the election's own clocks, not the poll interval.
/// </summary>
internal sealed class EndpointTimeline
{
    private readonly Dictionary<string, List<TimelineSegment>> _lanes = new(StringComparer.Ordinal);

    public void Observe(string node, string state, DateTimeOffset at, DateTimeOffset? exactStart)
    {
        if (!_lanes.TryGetValue(node, out var lane))
        {
            _lanes[node] = [new TimelineSegment(state, exactStart is { } s && s < at ? s : at, at)];
            return;
        }

        var last = lane[^1];
        if (last.State == state)
        {
            lane[^1] = last with { To = at };
            return;
        }

        var start = exactStart is { } exact ? Clamp(exact, last.From, at) : at;
        lane[^1] = last with { To = start };
        lane.Add(new TimelineSegment(state, start, at));
    }

    public IReadOnlyList<TimelineLane> Snapshot(DateTimeOffset since)
    {
        foreach (var lane in _lanes.Values)
        {
            lane.RemoveAll(s => s.To < since);
        }

        return _lanes.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => new TimelineLane(l.Key, l.Value.ToList())).ToList();
    }

    private static DateTimeOffset Clamp(DateTimeOffset value, DateTimeOffset min, DateTimeOffset max) =>
        value < min ? min : value > max ? max : value;
}
