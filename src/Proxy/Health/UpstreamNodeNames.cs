using System.Collections.Concurrent;

namespace Foobar.Proxy.Health;

/// <summary>
/// The node name each destination gives in X-Served-By on its health probes. Replicas found through DNS are known to
/// the proxy only by address (<c>web:8080[172.21.0.3]</c>); status pages show this name (<c>web-2</c>) beside it.
/// </summary>
internal sealed class UpstreamNodeNames
{
    private const string Header = "X-Served-By";

    private readonly ConcurrentDictionary<string, string> _names = new(StringComparer.Ordinal);

    public void Record(string destinationId, HttpResponseMessage? probe)
    {
        if (probe is not null && probe.Headers.TryGetValues(Header, out var values) && values.FirstOrDefault() is { Length: > 0 and <= 63 } name)
        {
            _names[destinationId] = name;
        }
    }

    public string? For(string destinationId) => _names.TryGetValue(destinationId, out var name) ? name : null;
}
