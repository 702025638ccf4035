using System.Collections.Concurrent;

namespace Foobar.Proxy.Health;

/// <summary>Destinations an operator took out of rotation (the load balancer's drain); kept apart from health.</summary>
internal sealed class DrainedDestinations
{
    private readonly ConcurrentDictionary<string, bool> _drained = new(StringComparer.Ordinal);

    public bool Contains(string destinationId) => _drained.ContainsKey(destinationId);

    public bool Set(string destinationId, bool drained) =>
        drained ? _drained.TryAdd(destinationId, true) : _drained.TryRemove(destinationId, out _);
}
