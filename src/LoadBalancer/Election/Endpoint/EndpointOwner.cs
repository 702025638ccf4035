using System.Threading.Channels;
using Foobar.LoadBalancer.Election.Protocol;
using Microsoft.Extensions.Logging;

namespace Foobar.LoadBalancer.Election.Endpoint;

/// <summary>
/// The only caller of <see cref="IVirtualEndpoint"/>: one worker takes the endpoint when this node is wanted as its
/// owner (<see cref="Want"/>) and gives it up when not, so calls never overlap. Whenever a Master gives the endpoint up
/// to another one (graceful stop, preemption, health demotion) it keeps serving until the new Master advertises that
/// it holds the endpoint (or the handover timeout), and the new Master may share the endpoint for that moment, so
/// there is no instant without a listener. Taking over from a Master that went silent (kill -9, SIGSTOP, a partition)
/// takes the endpoint whether or not the silent one still holds it, under a higher fencing <see cref="Term"/>, and
/// moves all new work here; a node that never heard a holder needs the endpoint free. Time comes from the <see cref="TimeProvider"/>, what the peers advertise from <c>election</c>.
/// </summary>
internal sealed partial class EndpointOwner
{
    private static readonly TimeSpan FastRetry = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan SlowRetry = TimeSpan.FromMilliseconds(500);

    /// <summary>How many handover timeouts a release waits for a new Master that is heard but still binding.</summary>
    private const int AcquiringPeerWaitFactor = 4;

    /// <summary>How much longer than the handover timeout a stop waits for the release itself.</summary>
    private static readonly TimeSpan ReleaseSlack = TimeSpan.FromSeconds(3);

    private readonly IVirtualEndpoint _endpoint;
    private readonly Func<ElectionSnapshot> _election;
    private readonly TimeSpan _bindGracePeriod;
    private readonly TimeSpan _handoverTimeout;
    private readonly TimeProvider _time;
    private readonly ILogger<EndpointOwner> _logger;
    private readonly Channel<bool> _wanted = Channel.CreateUnbounded<bool>(new UnboundedChannelOptions { SingleReader = true });
    private volatile string? _problem;
    private volatile bool _held;
    private volatile bool _prepared;
    private volatile bool _lastReleaseWasHandover;
    private long? _sharedSince;
    private volatile bool _latestWant;
    private volatile CancellationTokenSource? _acquiring;
    private volatile bool _releaseAtOnce;
    private readonly EndpointTerm _term;
    private readonly IEndpointGate? _gate;

    /// <param name="endpoint">What is owned.</param>
    /// <param name="election">This node's election view: the peers heard and its Master_Down_Interval.</param>
    /// <param name="bindGracePeriod">How long acquiring may fail before that is a <see cref="Problem"/>.</param>
    /// <param name="handoverTimeout">How long a release waits for a peer to hold the endpoint; zero when there are no peers.</param>
    /// <param name="node">This node's name (the tie-break between equal fencing terms).</param>
    /// <param name="time">The clock.</param>
    /// <param name="logger">Where acquiring, releasing and failures are logged.</param>
    /// <param name="gate">A vote needed to take and keep the endpoint (the election witness), or null.</param>
    public EndpointOwner(
        IVirtualEndpoint endpoint,
        Func<ElectionSnapshot> election,
        TimeSpan bindGracePeriod,
        TimeSpan handoverTimeout,
        string node,
        TimeProvider time,
        ILogger<EndpointOwner> logger,
        IEndpointGate? gate = null)
    {
        _gate = gate;
        _endpoint = endpoint;
        _election = election;
        _bindGracePeriod = bindGracePeriod;
        _handoverTimeout = handoverTimeout;
        _time = time;
        _logger = logger;
        _term = new EndpointTerm(time, node);
    }

    /// <summary>Raised on the worker right after the endpoint is taken: a Master tells the outgoing one at once.</summary>
    public event Action? Acquired;

    /// <summary>Raised on the worker right after the endpoint is let go: the new Master (address mode) waits for it.</summary>
    public event Action? Released;

    /// <summary>Raised on the worker when <see cref="Problem"/> is set or cleared there (not by <see cref="CheckShared"/>).</summary>
    public event Action? ProblemChanged;

    /// <summary>True while this node holds the endpoint (between acquiring and releasing it).</summary>
    public bool Held => _held;

    /// <summary>
    /// True once the worker runs (the host has started) and the endpoint is prepared (<see cref="IVirtualEndpoint.PrepareAsync"/>,
    /// or taken): from then on an acquisition is only the taking itself.
    /// </summary>
    public bool Prepared => _prepared;

    /// <summary>The fencing term of this node's holds, advertised with every packet and compared with other holders'.</summary>
    public EndpointTerm Term => _term;

    /// <summary>
    /// Why this node cannot own the endpoint (null when it can): acquiring failed for longer than the grace period, or
    /// a peer still holds it long after a handover. It counts as unhealthy and stays until this node next holds the
    /// endpoint: clearing it on stepping down would raise the priority again, preempt, fail again: a flap.
    /// </summary>
    public string? Problem => _problem;

    /// <summary>Whether this node is the one that should hold the endpoint (Master, or the only load balancer).</summary>
    public void Want(bool want)
    {
        _latestWant = want;
        if (!want)
        {
            // An acquisition still in progress is abandoned: completed late, it would hold (and, in a takeover, steer
            // every new connection here) after this node stepped down, and its release would then reset what it took
            // (seen under load: a 5.6 s takeover that finished after a preemption).
            try
            {
                _acquiring?.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // That attempt just finished.
            }
        }

        _wanted.Writer.TryWrite(want);
    }

    /// <summary>
    /// Self-fencing (the witness): the next release does not wait for a successor to hold the endpoint, because this
    /// node can no longer be sure that no other node serves. The caller then stops wanting the endpoint.
    /// </summary>
    public void ReleaseAtOnce() => _releaseAtOnce = true;

    /// <summary>
    /// Stops wanting the endpoint and waits until the worker has let it go (after a peer took it over, or the
    /// handover timeout); true when a peer took it over.
    /// </summary>
    public async Task<bool> LetGoAsync(CancellationToken cancellationToken)
    {
        Want(false);
        var deadline = _time.GetUtcNow() + _handoverTimeout + ReleaseSlack;
        while (_held && _time.GetUtcNow() < deadline && !cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(5), _time, CancellationToken.None);
        }

        return _lastReleaseWasHandover;
    }

    /// <summary>Before a planned handover on graceful stop: drains the endpoint's connections if this node holds it.</summary>
    public Task DrainAsync(CancellationToken cancellationToken) => _held ? _endpoint.DrainAsync(cancellationToken) : Task.CompletedTask;

    /// <summary>
    /// The worker. It first prepares the endpoint (<see cref="IVirtualEndpoint.PrepareAsync"/>), then takes and gives it
    /// up as wanted. A failed prepare or acquire is retried every 50 ms; only after the grace period does it count as a
    /// <see cref="Problem"/>, because the endpoint may still be held by a Master that went silent but is not dead.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var want = false;
        DateTimeOffset? failingSince = null;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                while (_wanted.Reader.TryRead(out var value))
                {
                    want = value;
                }

                if (!_prepared && !want)
                {
                    // Ready before it is needed (address mode: the listeners open at start); a node that cannot be ready
                    // is unhealthy after the grace period, as one that cannot bind. Wanted meanwhile, the acquire does it.
                    failingSince = await PrepareAsync(failingSince, cancellationToken);
                    continue;
                }

                if (want && !_held)
                {
                    var started = _time.GetTimestamp();
                    var how = ChooseAcquisition();
                    using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    _acquiring = attempt;
                    _releaseAtOnce = false;
                    try
                    {
                        if (!_latestWant)
                        {
                            await attempt.CancelAsync();
                        }

                        var granted = 0UL;
                        if (_gate is not null)
                        {
                            // The term begins only once the gate admits this node: until then a holder heard is not
                            // judged older than this node (FenceByTerm), so it can still make this node step down.
                            granted = await _gate.AdmitAsync(how, _term.Propose(), attempt.Token);
                            how = ChooseAcquisition();
                        }

                        var term = _term.Begin(granted);
                        await _endpoint.AcquireAsync(how, attempt.Token);
                        _held = true;
                        _gate?.Holding(term);
                        _prepared = true;
                        _sharedSince = how == EndpointAcquisition.Handover ? _time.GetTimestamp() : null;
                        failingSince = null;
                        Log.EndpointChanged(_logger, $"acquired ({how.ToString().ToLowerInvariant()}, term {term})", _time.GetElapsedTime(started).TotalMilliseconds);
                        if (_problem is not null)
                        {
                            _problem = null;
                            ProblemChanged?.Invoke();
                        }

                        Acquired?.Invoke();
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        _gate?.Released();
                        Log.AcquireAbandoned(_logger, _time.GetElapsedTime(started).TotalMilliseconds);
                        continue;
                    }
                    catch (VirtualEndpointUnavailableException ex)
                    {
                        failingSince = await RetryLaterAsync(failingSince, ex, cancellationToken);
                        continue;
                    }
                    finally
                    {
                        _acquiring = null;
                    }
                }
                else if (!want && _held)
                {
                    // Keep serving until the new Master holds the endpoint, unless this node is wanted back meanwhile.
                    _gate?.LettingGo();
                    var handover = _releaseAtOnce ? false : await WaitForPeerToHoldAsync(cancellationToken);
                    if (handover is null)
                    {
                        _gate?.Holding(_term.Own);
                        continue;
                    }

                    var started = _time.GetTimestamp();
                    try
                    {
                        await _endpoint.ReleaseAsync(handover.Value, cancellationToken);
                        Log.EndpointChanged(_logger, handover.Value ? "released (handover)" : "released", _time.GetElapsedTime(started).TotalMilliseconds);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        Log.ReleaseFailed(_logger, ex);
                    }

                    _lastReleaseWasHandover = handover.Value;
                    _sharedSince = null;
                    _held = false;
                    _releaseAtOnce = false;
                    _term.End();
                    _gate?.Released();
                    Released?.Invoke();
                }
                else if (!want)
                {
                    failingSince = null;
                    _term.End();
                    _gate?.Released();
                }

                await _wanted.Reader.WaitToReadAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping; the host's stopping hook has already released the endpoint.
        }
    }

    /// <summary>Prepares the endpoint; on failure waits to retry. Returns when the failing began (null once it works).</summary>
    private async Task<DateTimeOffset?> PrepareAsync(DateTimeOffset? failingSince, CancellationToken cancellationToken)
    {
        try
        {
            await _endpoint.PrepareAsync(cancellationToken);
            _prepared = true;
            if (failingSince is not null && _problem is not null)
            {
                _problem = null;
                ProblemChanged?.Invoke();
            }

            return null;
        }
        catch (VirtualEndpointUnavailableException ex)
        {
            return await RetryLaterAsync(failingSince, ex, cancellationToken);
        }
    }

    /// <summary>
    /// After a failed prepare or acquire: retried every 50 ms, and only after the grace period a <see cref="Problem"/>
    /// (the endpoint may still be held by a Master that went silent but is not dead), then every 500 ms or as soon as
    /// what is wanted changes. Returns when the failing began.
    /// </summary>
    private async Task<DateTimeOffset?> RetryLaterAsync(DateTimeOffset? failingSince, VirtualEndpointUnavailableException ex, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        if (failingSince is null)
        {
            failingSince = now;
            Log.AcquireFailed(_logger, ex.Message);
        }

        var failingFor = now - failingSince.Value;
        if (failingFor >= _bindGracePeriod && _problem is null)
        {
            _problem = $"cannot bind the virtual endpoint: {ex.Message}";
            ProblemChanged?.Invoke();
        }

        var retry = Task.Delay(failingFor < _bindGracePeriod ? FastRetry : SlowRetry, _time, cancellationToken);
        await Task.WhenAny(retry, _wanted.Reader.WaitToReadAsync(cancellationToken).AsTask());
        return failingSince;
    }

    /// <summary>
    /// The bound on sharing, called once per interval: a node that took the endpoint in a handover and still hears
    /// the old Master advertise that it holds it well after the handover timeout (the old Master does not hear this
    /// node, e.g. one-way loss) counts that as a <see cref="Problem"/>, lowers its priority and so yields: two owners
    /// never last. The caller updates health right after.
    /// </summary>
    public void CheckShared()
    {
        if (_sharedSince is not { } since || !_held)
        {
            return;
        }

        var election = _election();
        var now = _time.GetUtcNow();
        var holder = election.Peers.FirstOrDefault(p => p.HoldsEndpoint && now - p.HeardAt < election.MasterDownInterval);
        if (holder is null)
        {
            _sharedSince = null;
            return;
        }

        var elapsed = _time.GetElapsedTime(since);
        if (elapsed > _handoverTimeout + TimeSpan.FromSeconds(1) && _problem is null)
        {
            Log.StillShared(_logger, holder.Node, elapsed.TotalMilliseconds);
            _problem = $"peer {holder.Node} still holds the virtual endpoint after a handover";
            _sharedSince = null;
        }
    }

    /// <summary>
    /// A planned handover: a Master or a holder of the endpoint was heard within the last two of its intervals, so it is
    /// alive and is leaving (priority 0, heard Skew_Time ago), stepping down for this node (preemption, health), or has
    /// stepped down already and waits for this node to hold the endpoint. A takeover: the last thing heard from some
    /// peer was that it was Master or held the endpoint, and it has been silent since (a whole Master_Down_Interval,
    /// at least three intervals): it may be dead, frozen or cut off, and still hold the endpoint. Exclusive: nobody was
    /// ever heard holding it, so it must be free (a third node with the wrong key is refused here).
    /// </summary>
    private EndpointAcquisition ChooseAcquisition()
    {
        var now = _time.GetUtcNow();
        var holders = _election().Peers.Where(p => p.State == VrrpState.Master || p.HoldsEndpoint).ToList();
        if (holders.Any(p => now - p.HeardAt < 2 * p.AdvertisementInterval))
        {
            return EndpointAcquisition.Handover;
        }

        return holders.Count > 0 ? EndpointAcquisition.Takeover : EndpointAcquisition.Exclusive;
    }

    /// <summary>
    /// After stepping down or on shutdown: waits until a peer advertises Master and that it holds the endpoint (true),
    /// up to the handover timeout (false); null when this node is wanted again. While a new Master is heard but does not
    /// hold the endpoint yet, it is alive and still binding (over a second on a loaded machine was seen), so the wait
    /// goes on, up to <see cref="AcquiringPeerWaitFactor"/> handover timeouts: letting go earlier refuses every new
    /// connection until it binds.
    /// </summary>
    private async Task<bool?> WaitForPeerToHoldAsync(CancellationToken cancellationToken)
    {
        var started = _time.GetUtcNow();
        var deadline = started + _handoverTimeout;
        var longest = started + (AcquiringPeerWaitFactor * _handoverTimeout);
        while (true)
        {
            if (_wanted.Reader.TryPeek(out var wanted) && wanted)
            {
                return null;
            }

            var election = _election();
            var now = _time.GetUtcNow();
            if (election.Peers.Any(p => p.State == VrrpState.Master && p.Priority > 0 && p.HoldsEndpoint && now - p.HeardAt < election.MasterDownInterval))
            {
                return true;
            }

            var acquiring = election.Peers.Any(p => p.State == VrrpState.Master && p.Priority > 0 && now - p.HeardAt < election.MasterDownInterval);
            if (now >= deadline && !(acquiring && now < longest))
            {
                return false;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(2), _time, cancellationToken);
        }
    }
}
