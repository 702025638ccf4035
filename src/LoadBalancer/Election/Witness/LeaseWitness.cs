using Foobar.LoadBalancer.Election.Endpoint;
using Foobar.LoadBalancer.Election.Protocol;
using Microsoft.Extensions.Logging;

namespace Foobar.LoadBalancer.Election.Witness;

/// <summary>
/// The witness as the third vote of a pair (docs/election.md, "The witness"): the endpoint owner's
/// <see cref="IEndpointGate"/>. A Master takes the endpoint from a silent holder, or a free one, only once the witness
/// granted it the lease (and, in a takeover, <see cref="WitnessTiming.TakeoverGuard"/> after it became Master); in a
/// handover the outgoing holder gives the lease back and the successor asks for it, but an unreachable witness does
/// not stop a handover (the outgoing holder's cooperation is the second vote). A holder renews every interval, in the
/// background, never on the election's or a request's path; it checks every quarter interval, on the election's timer
/// thread, that it still has two votes of three (its lease, or a peer heard as Backup) and otherwise raises
/// <see cref="FenceRequired"/>, which makes the election let go of the endpoint at once. The decisions are
/// <see cref="WitnessLease"/>'s; this class does the I/O through <see cref="WitnessStore"/>.
/// </summary>
internal sealed partial class LeaseWitness : IEndpointGate, IAsyncDisposable
{
    private readonly WitnessStore _store;
    private readonly WitnessLease _lease;
    private readonly WitnessTiming _timing;
    private readonly TimeProvider _time;
    private readonly Func<ElectionSnapshot> _election;
    private readonly int _peers;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _requests = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _reportGate = new();
    private ITimer? _check;
    private Task _renewals = Task.CompletedTask;
    /// <summary>Renew the lease: set from the grant until this node lets go (or fences).</summary>
    private volatile bool _holding;
    /// <summary>The witness answered once: a connection is open in the pool (see <see cref="Answered"/>).</summary>
    private volatile bool _answered;
    private long _term;
    private int _fenceRaised;
    private WitnessState _reported = WitnessState.Idle;

    /// <param name="store">The lease row.</param>
    /// <param name="timing">Lease duration and the times derived from the advertisement interval.</param>
    /// <param name="node">This node's name, the lease's holder while it holds it.</param>
    /// <param name="election">This node's election view: which peers announce themselves Backup (their votes).</param>
    /// <param name="peers">How many peers are configured (a holder without its lease needs a majority of them).</param>
    /// <param name="time">The clock; its timers should not wait behind a busy thread pool (the election's own provider).</param>
    /// <param name="logger">Where state changes and fences are logged.</param>
    public LeaseWitness(WitnessStore store, WitnessTiming timing, string node, Func<ElectionSnapshot> election, int peers, TimeProvider time, ILogger logger)
    {
        _store = store;
        _timing = timing;
        _time = time;
        _election = election;
        _peers = peers;
        _logger = logger;
        _lease = new WitnessLease(timing, node, time);
    }

    /// <summary>Raised (on the check timer or a renewal) when this node must let go of the endpoint at once, with why.</summary>
    public event Action<string>? FenceRequired;

    /// <summary>Raised when the witness moved this node's term on during a hold (it took the lease back after it had run out).</summary>
    public event Action<ulong>? TermRaised;

    public WitnessStatus Status => _lease.Status;

    /// <summary>
    /// True once the witness has answered any request of this process (the warm-up or a lease request): its first
    /// connection, with the JIT and authentication of a fresh process, is behind it. A fresh node does not preempt before
    /// that (<see cref="ElectionService"/>), because the outgoing Master gives its lease back and waits for it.
    /// </summary>
    public bool Answered => _answered;

    public void Start()
    {
        _check = _time.CreateTimer(_ => Check(), null, _timing.CheckPeriod, _timing.CheckPeriod);
        _renewals = RenewEveryIntervalAsync(_stop.Token);
        _ = WarmUpAsync(_stop.Token);
    }

    public async Task<ulong> AdmitAsync(EndpointAcquisition how, ulong proposedTerm, CancellationToken cancellationToken)
    {
        try
        {
            return await AskUntilAdmittedAsync(how, proposedTerm, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Preempted (or stopping) while asking, or in the takeover guard after a grant: any lease row naming this
            // node now is from this admission, and it will not serve under it. Given back, the node that preempted it
            // takes the endpoint now instead of when the lease runs out (in a swarm, a restarted lb-1 waited 3.5 s for
            // the 5 s lease lb-2 had been granted just before lb-1 preempted it, and nobody held the address meanwhile).
            _ = YieldAsync();
            throw;
        }
    }

    private async Task<ulong> AskUntilAdmittedAsync(EndpointAcquisition how, ulong proposedTerm, CancellationToken cancellationToken)
    {
        _holding = false;
        _lease.Acquiring();
        Report("this node is Master and asks for the lease");
        var masterSince = _time.GetTimestamp();
        var handover = how == EndpointAcquisition.Handover;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var sentAt = _time.GetTimestamp();
            var reply = await RequestAsync((term, ct) => _store.AcquireAsync(term, _timing.Lease, ct), proposedTerm, cancellationToken);
            if (reply is { Granted: true })
            {
                _lease.Granted(sentAt, reply);
                Report($"granted, term {reply.Term}");
                var guard = handover ? TimeSpan.Zero : _lease.GuardRemaining(masterSince);
                if (guard > TimeSpan.Zero)
                {
                    // A holder that was serving on this node's Backup vote stops counting it within the guard.
                    await Task.Delay(guard, _time, cancellationToken);
                }

                // A grant counts from when its request was sent: one answered late (a first connection on a loaded
                // machine took over a second here), or followed by the guard, may be nearly over. Ask again at once:
                // the lease is this node's, so it is granted again.
                if (_lease.Confirmed)
                {
                    // Renewed from now on: taking the endpoint may take longer than the lease (1.8 s was seen).
                    Interlocked.Exchange(ref _term, (long)reply.Term);
                    _holding = true;
                    return reply.Term;
                }

                continue;
            }

            if (reply is not null)
            {
                _lease.Refused(reply);
                Report($"{reply.Holder} holds the lease (term {reply.Term}) for another {reply.Remaining.TotalMilliseconds:0} ms");
            }
            else if (handover)
            {
                Log.AdmittedWithoutWitness(_logger, _lease.Status.LastError);
                return 0;
            }
            else
            {
                Report("the witness did not answer");
            }

            await Task.Delay(_lease.RetryDelay(reply, handover), _time, cancellationToken);
        }
    }

    public void Holding(ulong term)
    {
        Interlocked.Exchange(ref _term, (long)term);
        Interlocked.Exchange(ref _fenceRaised, 0);
        _lease.Holding();
        _holding = true;
        Report($"holds the endpoint under term {term}");
        if (!_lease.Confirmed)
        {
            // Wanted again after giving the lease back, or admitted in a handover without the witness: ask now.
            _ = RenewOnceAsync(_stop.Token);
        }
    }

    public void LettingGo()
    {
        if (!_holding)
        {
            return;
        }

        _holding = false;
        _lease.Yielded();
        Report("giving the endpoint up");
        _ = YieldAsync();
    }

    public void Released()
    {
        _holding = false;
        _lease.Released();
        Report("the endpoint is released");
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_check is not null)
        {
            await _check.DisposeAsync();
        }

        await _renewals;
        await _store.DisposeAsync();
        _stop.Dispose();
        _requests.Dispose();
    }

    /// <summary>
    /// Every node, Backup or not, opens its first connection (and makes the table) at start: the first request of a
    /// process, with its JIT, its connection and its authentication, took over a second on a loaded machine, which a
    /// takeover or a preemption should not wait for. It gets <see cref="WitnessTiming.FirstConnectionTimeout"/>, not a
    /// request's: an attempt abandoned at the request timeout throws its connection away, and on a loaded machine the
    /// next one is no quicker (a throttled fresh lb-1 gave up after 1 s and was still without an answer 4 s later). It is
    /// tried again every interval until the witness answers (or any other request did). It runs beside the lease
    /// requests, not behind <c>_requests</c>: a lease request never waits for it. A failure only means the witness is
    /// away for now.
    /// </summary>
    private async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var logged = false;
        while (!_answered)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(_timing.FirstConnectionTimeout);
                await _store.PrepareAsync(timeout.Token);
                _answered = true;
                Log.Answered(_logger, _time.GetElapsedTime(started).TotalMilliseconds);
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    return;
                }

                _lease.Failed(Describe(ex));
                if (!logged)
                {
                    Log.WarmUpFailed(_logger, Describe(ex));
                    logged = true;
                }
            }

            try
            {
                await Task.Delay(_timing.Interval, _time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task RenewEveryIntervalAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_timing.Interval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                if (_holding)
                {
                    await RenewOnceAsync(cancellationToken);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    /// <summary>A renewal that never throws: the loop must outlive any one failure.</summary>
    private async Task RenewOnceAsync(CancellationToken cancellationToken)
    {
        try
        {
            await RenewAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.CheckFailed(_logger, ex);
        }
    }

    private async Task RenewAsync(CancellationToken cancellationToken)
    {
        var term = (ulong)Interlocked.Read(ref _term);
        var sentAt = _time.GetTimestamp();
        var reply = await RequestAsync((t, ct) => _store.RenewAsync(t, _timing.Lease, ct), term, cancellationToken);
        if (!_holding || reply is null)
        {
            // Let go meanwhile (the answer no longer matters), or failed (recorded; the check decides).
            Report("renewal failed");
            return;
        }

        if (reply.Granted)
        {
            _lease.Granted(sentAt, reply);
            if (reply.Term > term)
            {
                Interlocked.Exchange(ref _term, (long)reply.Term);
                TermRaised?.Invoke(reply.Term);
            }

            Report($"renewed, term {reply.Term}");
        }
        else if (_lease.Refused(reply))
        {
            Fence($"the witness gave the lease to {reply.Holder} (term {reply.Term}) after this node's last renewal");
        }
        else
        {
            Report($"{reply.Holder} still holds the lease (term {reply.Term}) for another {reply.Remaining.TotalMilliseconds:0} ms");
        }
    }

    private async Task YieldAsync()
    {
        try
        {
            // After any renewal in flight, so that it cannot extend the lease again after it was given back.
            await _requests.WaitAsync(_stop.Token);
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                timeout.CancelAfter(_timing.RequestTimeout);
                await _store.YieldAsync(timeout.Token);
            }
            finally
            {
                _requests.Release();
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The lease then runs out on its own; the successor waits for that.
            _lease.Failed(Describe(ex));
            Log.YieldFailed(_logger, Describe(ex));
        }
    }

    /// <summary>One request at a time, bounded by the request timeout; null (and the error recorded) when it failed.</summary>
    private async Task<LeaseReply?> RequestAsync(Func<ulong, CancellationToken, Task<LeaseReply>> request, ulong term, CancellationToken cancellationToken)
    {
        try
        {
            await _requests.WaitAsync(cancellationToken);
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(_timing.RequestTimeout);
                var reply = await request(term, timeout.Token);
                _answered = true;
                return reply;
            }
            finally
            {
                _requests.Release();
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Stopping (or this node stopped wanting the endpoint): whatever failed no longer matters.
            cancellationToken.ThrowIfCancellationRequested();
            _lease.Failed(Describe(ex));
            return null;
        }
    }

    /// <summary>Every quarter interval: does this holder still have two votes of three?</summary>
    private void Check()
    {
        try
        {
            if (_holding && _lease.CheckHold(BackupVotes(), _peers) is { } reason)
            {
                Fence(reason);
            }

            Report("no renewal confirmed within the lease less the margin");
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A timer callback must not throw; the next check runs a quarter interval later.
            Log.CheckFailed(_logger, ex);
        }
    }

    private void Fence(string reason)
    {
        if (Interlocked.Exchange(ref _fenceRaised, 1) != 0)
        {
            return;
        }

        _holding = false;
        _lease.Fenced();
        Log.Fenced(_logger, reason);
        Report(reason);
        FenceRequired?.Invoke(reason);
    }

    /// <summary>Peers that defer to this node: heard announcing themselves Backup within the peer vote window.</summary>
    private int BackupVotes()
    {
        var now = _time.GetUtcNow();
        return _election().Peers.Count(p => p.State == VrrpState.Backup && p.Priority > 0 && now - p.HeardAt <= _timing.PeerVoteWindow);
    }

    private void Report(string why)
    {
        var status = _lease.Status;
        lock (_reportGate)
        {
            if (status.State == _reported)
            {
                return;
            }

            Log.StateChanged(_logger, _reported, status.State, why, status.Holder, status.Term, status.LastError);
            _reported = status.State;
        }
    }

    private static string Describe(Exception ex) => ex is OperationCanceledException ? "no answer within the request timeout" : ex.GetBaseException().Message;
}
