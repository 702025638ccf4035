using Foobar.LoadBalancer.Election;
using Foobar.LoadBalancer.Election.Endpoint;

namespace Foobar.LoadBalancer.Tests.Election;

/// <summary>An endpoint that only remembers when it was acquired and released.</summary>
internal sealed class RecordingEndpoint : IVirtualEndpoint
{
    public volatile bool Held;

    public DateTimeOffset? ReleasedAt { get; private set; }

    public Task AcquireAsync(EndpointAcquisition how, CancellationToken cancellationToken)
    {
        Held = true;
        return Task.CompletedTask;
    }

    public Task ReleaseAsync(bool handover, CancellationToken cancellationToken)
    {
        Held = false;
        ReleasedAt = DateTimeOffset.UtcNow;
        return Task.CompletedTask;
    }
}
