using Foobar.LoadBalancer.Election.Protocol;
using Foobar.LoadBalancer.Election.Transport;

namespace Foobar.LoadBalancer.Election.Endpoint;

/// <summary>
/// The fencing term (a fencing token in the sense of Kleppmann's "How to do distributed locking", a Raft term for the
/// endpoint): every hold of the virtual endpoint gets a term greater than any term this node has heard, and at least
/// the current Unix time in milliseconds, so a node that restarts without hearing anyone still outranks its own and
/// its peers' earlier holds on one clock. Advertisements carry it. Of two Masters that both hold the endpoint, the one
/// with the higher term (then the greater node name) is the owner, because it took the endpoint last: in listen mode
/// its socket is the one the port's reuseport group steers to, in address mode its announcement is the one the
/// neighbours heard last. The other one steps down at once, whatever its priority, and only then may it win the
/// endpoint back, by a planned handover. Thread-safe.
/// </summary>
internal sealed class EndpointTerm(TimeProvider time, string node)
{
    private readonly Lock _gate = new();
    private ulong _own;
    private ulong _highest;
    private bool _active;

    /// <summary>The term of this node's current or last hold (0 before the first).</summary>
    public ulong Own
    {
        get
        {
            lock (_gate)
            {
                return _own;
            }
        }
    }

    /// <summary>The highest term heard from anyone, this node included.</summary>
    public ulong Highest
    {
        get
        {
            lock (_gate)
            {
                return _highest;
            }
        }
    }

    /// <summary>Every authenticated advertisement's term, whatever its sender's state.</summary>
    public void Observe(ulong term)
    {
        lock (_gate)
        {
            _highest = Math.Max(_highest, term);
        }
    }

    /// <summary>The term <see cref="Begin"/> would give now, without starting a hold (what the witness is asked to grant).</summary>
    public ulong Propose()
    {
        lock (_gate)
        {
            return Next(0);
        }
    }

    /// <summary>Starts a hold (called before acquiring): a term above every term heard, and at least <paramref name="atLeast"/> (the witness's grant).</summary>
    public ulong Begin(ulong atLeast = 0)
    {
        lock (_gate)
        {
            _own = Next(atLeast);
            _highest = _own;
            _active = true;
            return _own;
        }
    }

    /// <summary>During a hold, moves this hold's term up to <paramref name="term"/> (the witness granted the lease again under a newer one).</summary>
    public void Raise(ulong term)
    {
        lock (_gate)
        {
            if (_active && term > _own)
            {
                _own = term;
                _highest = Math.Max(_highest, term);
            }
        }
    }

    /// <summary>After the endpoint was released (or the acquire gave up).</summary>
    public void End()
    {
        lock (_gate)
        {
            _active = false;
        }
    }

    private ulong Next(ulong atLeast)
    {
        var clock = (ulong)Math.Max(0, time.GetUtcNow().ToUnixTimeMilliseconds());
        return Math.Max(Math.Max(_highest + 1, clock), atLeast);
    }

    /// <summary>
    /// How another Master's advertisement compares with this node's hold, while this node holds or is acquiring the
    /// endpoint: <see cref="TermVerdict.Newer"/> (it took the endpoint after this node did: step down),
    /// <see cref="TermVerdict.Older"/> (a holder that was silent and has not yet learnt it was replaced: ignore it for
    /// the election and answer at once so it learns), or <see cref="TermVerdict.None"/>.
    /// </summary>
    public TermVerdict Judge(Advertisement advertisement)
    {
        ArgumentNullException.ThrowIfNull(advertisement);
        if (advertisement.State != VrrpState.Master || !advertisement.HoldsEndpoint || advertisement.Priority == 0 || advertisement.Vrrp)
        {
            return TermVerdict.None;
        }

        lock (_gate)
        {
            if (!_active)
            {
                return TermVerdict.None;
            }

            var newer = advertisement.Term > _own
                || (advertisement.Term == _own && string.CompareOrdinal(advertisement.Node, node) > 0);
            return newer ? TermVerdict.Newer : TermVerdict.Older;
        }
    }
}
