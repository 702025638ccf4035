using Foobar.LoadBalancer.Election.Protocol;
using Foobar.LoadBalancer.Election.Transport;
using Microsoft.Extensions.Logging;

namespace Foobar.LoadBalancer.Election.Peers;

/// <summary>
/// What this node has seen each peer do, for the dashboard: a bounded history of changes in a peer's view
/// (its advertised state, <c>Leaving</c> on priority 0, <c>Silent</c> after its own Master_Down_Interval without a
/// packet). Each change is logged once, not every advertisement. Thread-safe.
/// </summary>
internal sealed partial class PeerViewHistory(TimeProvider time, ILogger<PeerViewHistory> logger)
{
    private const int Capacity = 64;

    private readonly Lock _gate = new();
    private readonly Queue<PeerTransition> _history = new();
    private readonly Dictionary<string, string> _views = new(StringComparer.Ordinal);

    /// <summary>Oldest first, at most 64.</summary>
    public IReadOnlyList<PeerTransition> GetHistory()
    {
        lock (_gate)
        {
            return [.. _history];
        }
    }

    /// <summary>An authenticated advertisement arrived from a peer.</summary>
    public void Heard(Advertisement advertisement)
    {
        var view = advertisement.Priority == 0 ? "Leaving" : advertisement.State.ToString();
        var reason = advertisement.Priority == 0
            ? "advertised priority 0: leaving"
            : $"advertised {advertisement.State} at priority {advertisement.Priority}/{advertisement.ConfiguredPriority}" + (advertisement.HoldsEndpoint ? ", holding the endpoint" : "");
        Record(advertisement.Node, view, reason);
    }

    /// <summary>Marks every peer silent that has sent nothing for its own Master_Down_Interval.</summary>
    public void CheckSilent(IEnumerable<PeerAdvertisement> peers)
    {
        var now = time.GetUtcNow();
        foreach (var peer in peers)
        {
            var silentAfter = peer.MasterDownInterval;
            if (now - peer.HeardAt > silentAfter)
            {
                Record(peer.Node, "Silent", $"nothing heard for {(now - peer.HeardAt).TotalMilliseconds:0} ms (> {silentAfter.TotalMilliseconds:0} ms)");
            }
        }
    }

    private void Record(string node, string view, string reason)
    {
        string from;
        lock (_gate)
        {
            from = _views.GetValueOrDefault(node, "Unknown");
            if (from == view)
            {
                return;
            }

            _views[node] = view;
            _history.Enqueue(new PeerTransition(time.GetUtcNow(), node, from, view, reason));
            while (_history.Count > Capacity)
            {
                _history.Dequeue();
            }
        }

        Log.PeerTransition(logger, node, from, view, reason);
    }
}
