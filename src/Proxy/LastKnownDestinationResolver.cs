using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.ServiceDiscovery;

namespace Foobar.Proxy;

/// <summary>
/// YARP's DNS resolver, made to ride out a DNS outage. YARP's own resolves every destination in one call and throws
/// when any name does not resolve, which on the first load stops the process: a load balancer started while no web
/// container existed (a restart of every replica, `--scale web=0`) crash-looped. Here each configured destination is
/// resolved on its own; one that fails keeps the addresses it last resolved to (none at first, so the cluster may
/// answer 503 until names resolve) and is asked again after the refresh period, as HAProxy's `init-addr none` does.
/// </summary>
internal sealed partial class LastKnownDestinationResolver(
    IDestinationResolver dns,
    IOptionsMonitor<DnsDestinationResolverOptions> options,
    ILogger<LastKnownDestinationResolver> logger) : IDestinationResolver
{
    private readonly ConcurrentDictionary<(string Id, string Address), IReadOnlyDictionary<string, DestinationConfig>> _lastResolved = new();

    public async ValueTask<ResolvedDestinationCollection> ResolveDestinationsAsync(
        IReadOnlyDictionary<string, DestinationConfig> destinations, CancellationToken cancellationToken)
    {
        var results = await Task.WhenAll(destinations.Select(d => ResolveOneAsync(d.Key, d.Value, cancellationToken)));
        var merged = new Dictionary<string, DestinationConfig>(StringComparer.OrdinalIgnoreCase);
        foreach (var result in results)
        {
            foreach (var (id, destination) in result.Destinations)
            {
                merged[id] = destination;
            }
        }

        var tokens = results.Select(r => r.ChangeToken).OfType<IChangeToken>().ToArray();
        return new ResolvedDestinationCollection(merged, tokens.Length switch { 0 => null, 1 => tokens[0], _ => new CompositeChangeToken(tokens) });
    }

    private async Task<ResolvedDestinationCollection> ResolveOneAsync(string id, DestinationConfig destination, CancellationToken cancellationToken)
    {
        var key = (id, destination.Address);
        try
        {
            var resolved = await dns.ResolveDestinationsAsync(new Dictionary<string, DestinationConfig> { [id] = destination }, cancellationToken);
            _lastResolved[key] = resolved.Destinations;
            return resolved;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            var kept = _lastResolved.GetValueOrDefault(key) ?? new Dictionary<string, DestinationConfig>();
            var retry = options.CurrentValue.RefreshPeriod ?? TimeSpan.FromSeconds(5);
            Log.ResolutionFailed(logger, destination.Address, ex.GetBaseException().Message, kept.Count, retry);
            return new ResolvedDestinationCollection(kept, new CancellationChangeToken(new CancellationTokenSource(retry).Token));
        }
    }
}
