using Foobar.LoadBalancer.Election.Endpoint;

namespace Foobar.LoadBalancer.Tests.Election.Endpoint;

/// <summary>An endpoint that refuses the first <see cref="FailuresLeft"/> acquires and records every call's handover flag.</summary>
internal sealed class ScriptedEndpoint : IVirtualEndpoint
{
    private int _acquires;

    public volatile int FailuresLeft;

    public volatile bool Held;

    public int Acquires => Volatile.Read(ref _acquires);

    public List<(string Call, bool Handover)> Calls { get; } = [];

    public Task AcquireAsync(bool handover, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _acquires);
        lock (Calls)
        {
            Calls.Add(("acquire", handover));
        }

        if (FailuresLeft > 0)
        {
            FailuresLeft--;
            throw new VirtualEndpointUnavailableException("address already in use");
        }

        Held = true;
        return Task.CompletedTask;
    }

    public Task ReleaseAsync(bool handover, CancellationToken cancellationToken)
    {
        lock (Calls)
        {
            Calls.Add(("release", handover));
        }

        Held = false;
        return Task.CompletedTask;
    }
}
