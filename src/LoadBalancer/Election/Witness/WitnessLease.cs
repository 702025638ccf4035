namespace Foobar.LoadBalancer.Election.Witness;

/// <summary>
/// What this node knows of its lease and what it may do with it, free of I/O: the witness's answers come in
/// (<see cref="Granted"/>, <see cref="Refused"/>, <see cref="Failed"/>), the endpoint worker's phases too
/// (<see cref="Acquiring"/>, <see cref="Holding"/>, <see cref="Yielded"/>, <see cref="Released"/>), and it answers
/// whether a holder still has two votes of three (<see cref="CheckHold"/>), how long to wait before asking again
/// and how long a takeover must still wait. Time comes from the <see cref="TimeProvider"/>; every duration is
/// measured on this node's monotonic clock from the moment a request was <em>sent</em>, which is no later than the
/// database's <c>now()</c> for it, so this node's view of its lease never outlasts the database's. Thread-safe.
/// </summary>
internal sealed class WitnessLease(WitnessTiming timing, string node, TimeProvider time)
{
    private readonly Lock _gate = new();
    private Phase _phase = Phase.Idle;
    private long? _confirmedSentAt;
    private DateTimeOffset? _confirmedAt;
    private bool _confirmedThisHold;
    private LeaseReply? _last;
    private string? _error;

    private enum Phase
    {
        Idle,
        Acquiring,
        Holding,
        Yielded,
        Fenced,
    }

    public WitnessTiming Timing => timing;

    /// <summary>The state shown in <c>/status</c>, derived from the phase and the last answers.</summary>
    public WitnessState State
    {
        get
        {
            lock (_gate)
            {
                return _phase switch
                {
                    Phase.Acquiring when _last is { Granted: false } last && last.Holder != node && _error is null => WitnessState.HeldByOther,
                    Phase.Acquiring => WitnessState.Acquiring,
                    Phase.Holding => IsConfirmed() ? WitnessState.Holding : WitnessState.Unconfirmed,
                    Phase.Yielded => WitnessState.Yielded,
                    Phase.Fenced => WitnessState.Fenced,
                    _ => WitnessState.Idle,
                };
            }
        }
    }

    /// <summary>True while the lease granted or renewed last is still this node's, with the margin to spare.</summary>
    public bool Confirmed
    {
        get
        {
            lock (_gate)
            {
                return IsConfirmed();
            }
        }
    }

    /// <summary>Master and about to ask for the lease: whatever was confirmed before no longer counts.</summary>
    public void Acquiring()
    {
        lock (_gate)
        {
            _phase = Phase.Acquiring;
            _confirmedSentAt = null;
            _confirmedThisHold = false;
        }
    }

    /// <summary>This node holds the endpoint now (taken, or wanted again before it was let go).</summary>
    public void Holding()
    {
        lock (_gate)
        {
            _phase = Phase.Holding;
        }
    }

    /// <summary>This node steps down or stops and has given the lease back: it no longer counts on it.</summary>
    public void Yielded()
    {
        lock (_gate)
        {
            if (_phase == Phase.Holding)
            {
                _phase = Phase.Yielded;
                _confirmedSentAt = null;
            }
        }
    }

    /// <summary>This node fenced itself: it let go of the endpoint without waiting for a successor.</summary>
    public void Fenced()
    {
        lock (_gate)
        {
            _phase = Phase.Fenced;
            _confirmedSentAt = null;
        }
    }

    /// <summary>The endpoint was released (or the acquisition abandoned).</summary>
    public void Released()
    {
        lock (_gate)
        {
            if (_phase != Phase.Fenced)
            {
                _phase = Phase.Idle;
            }

            _confirmedSentAt = null;
            _confirmedThisHold = false;
        }
    }

    /// <param name="sentAt">The <see cref="TimeProvider.GetTimestamp"/> taken just before the request was sent.</param>
    /// <param name="reply">A reply with <see cref="LeaseReply.Granted"/> set.</param>
    public void Granted(long sentAt, LeaseReply reply)
    {
        lock (_gate)
        {
            _last = reply;
            _error = null;
            if (_phase is Phase.Acquiring or Phase.Holding)
            {
                _confirmedSentAt = sentAt;
                _confirmedAt = time.GetUtcNow() - time.GetElapsedTime(sentAt);
                _confirmedThisHold = true;
            }
        }
    }

    /// <summary>
    /// The witness gave the lease to someone else. Returns true when this node has <em>lost</em> it: it holds the
    /// endpoint and had its lease confirmed during this hold, so another node took the lease after it (this node
    /// failed to renew for a whole lease) and may be serving: fence at once. A refusal before any confirmation (a
    /// handover taken while the witness was away, the outgoing node's lease not run out yet) is not a loss.
    /// </summary>
    public bool Refused(LeaseReply reply)
    {
        lock (_gate)
        {
            _last = reply;
            _error = null;
            _confirmedSentAt = null;
            return _phase == Phase.Holding && _confirmedThisHold;
        }
    }

    /// <summary>The request failed (unreachable, timed out, refused by the server); the lease runs out on its own.</summary>
    public void Failed(string error)
    {
        lock (_gate)
        {
            _error = error;
        }
    }

    /// <summary>
    /// Whether a holder keeps the endpoint: yes while its lease is confirmed, or while it has two votes of three
    /// without it (more generally a majority of peers + 2 votes: itself and the peers heard as Backup within
    /// <see cref="WitnessTiming.PeerVoteWindow"/>; a Backup defers to it and needs the lease to take over). Returns
    /// null to keep, else why it must fence itself.
    /// </summary>
    /// <param name="backupVotes">Peers heard announcing themselves Backup within the peer vote window.</param>
    /// <param name="peers">Configured peers.</param>
    public string? CheckHold(int backupVotes, int peers)
    {
        lock (_gate)
        {
            if (_phase != Phase.Holding || IsConfirmed() || (backupVotes + 1) * 2 > peers + 2)
            {
                return null;
            }

            var unconfirmed = _confirmedSentAt is { } sent ? $"for {time.GetElapsedTime(sent).TotalMilliseconds:0} ms" : "since this node took the endpoint";
            return $"the witness lease is not confirmed {unconfirmed} (lease {timing.Lease.TotalMilliseconds:0} ms less a {timing.Margin.TotalMilliseconds:0} ms margin) and no peer is heard as Backup ({_error ?? "no error"})";
        }
    }

    /// <summary>How long a takeover must still wait after the node became Master (see <see cref="WitnessTiming.TakeoverGuard"/>).</summary>
    public TimeSpan GuardRemaining(long masterSince)
    {
        var left = timing.TakeoverGuard - time.GetElapsedTime(masterSince);
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    /// <summary>
    /// When to ask again while acquiring: soon in a handover (the outgoing node is giving the lease back); when the
    /// other holder's lease runs out, within [I/4, I], after a refusal; one interval after a failure.
    /// </summary>
    public TimeSpan RetryDelay(LeaseReply? refusal, bool handover)
    {
        if (handover)
        {
            return timing.CheckPeriod;
        }

        if (refusal is null)
        {
            return timing.Interval;
        }

        return TimeSpan.FromTicks(Math.Clamp(refusal.Remaining.Ticks, timing.CheckPeriod.Ticks, timing.Interval.Ticks));
    }

    public WitnessStatus Status
    {
        get
        {
            var state = State;
            lock (_gate)
            {
                return new WitnessStatus
                {
                    State = state,
                    Holder = _last?.Holder,
                    Term = _last?.Term ?? 0,
                    Remaining = _last?.Remaining,
                    ConfirmedAt = _confirmedAt,
                    LastError = _error,
                    LeaseDuration = timing.Lease,
                };
            }
        }
    }

    private bool IsConfirmed() => _confirmedSentAt is { } sent && time.GetElapsedTime(sent) < timing.Lease - timing.Margin;
}
