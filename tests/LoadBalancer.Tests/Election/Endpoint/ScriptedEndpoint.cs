using Foobar.LoadBalancer.Election.Endpoint;

namespace Foobar.LoadBalancer.Tests.Election.Endpoint;

/// <summary>An endpoint that refuses the first <see cref="PrepareFailuresLeft"/> prepares and <see cref="FailuresLeft"/> acquires and records every call: acquisitions by kind (exclusive, handover, takeover), releases as handover or immediate.</summary>
internal sealed class ScriptedEndpoint : IVirtualEndpoint
{
    private int _acquires;
    private int _prepares;

    public volatile int FailuresLeft;

    public volatile int PrepareFailuresLeft;

    public int Prepares => Volatile.Read(ref _prepares);

    public volatile bool Held;

    public int Acquires => Volatile.Read(ref _acquires);

    public List<(string Call, string How)> Calls { get; } = [];

    public Task AcquireAsync(EndpointAcquisition how, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _acquires);
        lock (Calls)
        {
            Calls.Add(("acquire", how.ToString().ToLowerInvariant()));
        }

        if (FailuresLeft > 0)
        {
            FailuresLeft--;
            throw new VirtualEndpointUnavailableException("address already in use");
        }

        Held = true;
        return Task.CompletedTask;
    }

    public Task PrepareAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _prepares);
        if (PrepareFailuresLeft > 0)
        {
            PrepareFailuresLeft--;
            throw new VirtualEndpointUnavailableException("cannot assign requested address");
        }

        return Task.CompletedTask;
    }

    public Task ReleaseAsync(bool handover, CancellationToken cancellationToken)
    {
        lock (Calls)
        {
            Calls.Add(("release", handover ? "handover" : "immediate"));
        }

        Held = false;
        return Task.CompletedTask;
    }
}
