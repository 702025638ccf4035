using Foobar.LoadBalancer.Election.Endpoint;
using Microsoft.Extensions.Logging;

namespace Foobar.LoadBalancer.Election.Listen;

/// <summary>
/// <c>listen</c> mode: the leader opens the public listeners, a follower keeps them closed. Both nodes may name the
/// same address and port. On Linux every holder listens with SO_REUSEPORT: in a planned handover the incoming leader
/// joins the outgoing one's port and the outgoing one steers new connections to it, drains its accept queue and
/// closes, so the port never has no listener; in a takeover from a silent (perhaps frozen) leader the incoming one
/// joins and steers every new connection to itself, so the frozen socket gets nothing new; a node that never heard a
/// holder first proves the port free with an exclusive bind (docs/election.md). Only the public endpoints' configuration keys change, so the admin
/// listener is never touched. Closing the listeners makes Kestrel close the connections accepted on them, so a
/// handover first ends keep-alive on those (<see cref="KeepAliveDrain"/>) while new connections already go to the
/// incoming leader.
/// </summary>
internal sealed partial class ListenVirtualEndpoint(
    PublicEndpointConfigurationProvider provider,
    ListenBindObserver observer,
    KeepAliveDrain drain,
    IReadOnlyList<PublicEndpoint> endpoints,
    TimeProvider time,
    ILogger<ListenVirtualEndpoint> logger) : IVirtualEndpoint
{
    /// <summary>How long Kestrel gets to report a bind after the reload (it usually takes ~30 ms).</summary>
    private static readonly TimeSpan BindTimeout = TimeSpan.FromSeconds(3);

    /// <summary>The longest a handover waits for the accept queue to empty (it takes milliseconds unless starved).</summary>
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The longest a handover waits for this node's kept-alive connections to close, half of it for their clients to
    /// close them after a <c>Connection: close</c> response (a client polling every 10 ms left within 20 ms).
    /// </summary>
    private static readonly TimeSpan KeepAliveDrainTimeout = TimeSpan.FromSeconds(1);

    public async Task AcquireAsync(EndpointAcquisition how, CancellationToken cancellationToken)
    {
        observer.Acquisition = how;
        observer.Abandoned = cancellationToken;
        drain.Resume();
        var outcome = observer.Expect();
        if (provider.IsOpen)
        {
            // Keys left by an attempt that timed out: Kestrel only binds what changed, so remove them first.
            provider.Close();
        }

        provider.Open(endpoints);
        var finished = await Task.WhenAny(outcome, Task.Delay(BindTimeout, time, cancellationToken));
        if (cancellationToken.IsCancellationRequested)
        {
            // No longer wanted: whatever bound meanwhile is unbound, nothing binds from now on (the observer refuses).
            provider.Close();
            cancellationToken.ThrowIfCancellationRequested();
        }

        if (finished != outcome)
        {
            provider.Close();
            throw new VirtualEndpointUnavailableException(
                "Kestrel did not bind the public endpoints after a configuration reload; is Kestrel configured from the 'Kestrel' section with reloadOnChange?");
        }

        if (await outcome is { } failure)
        {
            // Kestrel binds the endpoints one by one and keeps those that bound before the failure. Unbind them now:
            // a node left holding the HTTP port but not the HTTPS one (or the reverse) while a peer holds the other
            // makes both fail every retry, a livelock seen when two nodes became Master together at start-up.
            provider.Close();
            var why = ListenBindObserver.IsAddressInUse(failure) ? "address already in use" : failure.Message;
            throw new VirtualEndpointUnavailableException($"{string.Join(", ", endpoints.Select(e => e.Url))}: {why}", failure);
        }
    }

    public async Task ReleaseAsync(bool handover, CancellationToken cancellationToken)
    {
        if (handover)
        {
            var started = time.GetTimestamp();
            var left = await observer.HandOffAsync(DrainTimeout, time, cancellationToken);
            Log.HandedOff(logger, time.GetElapsedTime(started).TotalMilliseconds, left);

            // New connections go to the incoming leader now; the ones this node accepted end their keep-alive here,
            // because removing the endpoint below makes Kestrel close them, an idle one under a request just sent.
            started = time.GetTimestamp();
            var (open, still) = await drain.DrainAsync(KeepAliveDrainTimeout, time, everyConnection: true, cancellationToken);
            Log.KeepAliveDrained(logger, open, still, time.GetElapsedTime(started).TotalMilliseconds);
        }

        provider.Close();
        observer.Forget();
    }
}
