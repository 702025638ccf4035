using System.Net;
using Foobar.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.ServiceDiscovery;

namespace Foobar.Proxy.Tests;

/// <summary>
/// Upstream names that do not resolve (no web container yet, every replica restarting) never stop the proxy: it
/// starts, serves from the names that do resolve, answers 503 while none does, and keeps the last addresses it had.
/// Real DNS lookups: <c>.invalid</c> never resolves (RFC 6761), <c>localhost</c> always does.
/// </summary>
public sealed class DnsOutageTests
{
    private static readonly Dictionary<string, string?> ResolveDns = new()
    {
        ["Upstream:ResolveDns"] = "true",
        ["Upstream:DnsRefreshPeriod"] = "00:00:01",
    };

    [Fact]
    public async Task NoNameResolves_ProxyStarts_And503()
    {
        await using var proxy = await ProxyHost.StartAsync(["http://web-gone.invalid:8080"], ResolveDns);

        using var response = await proxy.Client.GetAsync("/items");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
    }

    [Fact]
    public async Task OneNameDoesNotResolve_TheOthersStillServe()
    {
        await using var echo = await EchoUpstream.StartAsync("echo");
        var byName = new UriBuilder(echo.Url) { Host = "localhost" }.Uri.ToString();
        await using var proxy = await ProxyHost.StartAsync(["http://web-gone.invalid:8080", byName], ResolveDns);

        for (var i = 0; i < 5; i++)
        {
            using var response = await proxy.Client.GetAsync("/items");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("echo", (await EchoUpstream.ReadAsync(response)).Name);
        }

        Assert.All(proxy.Cluster.Destinations(), d => Assert.DoesNotContain("invalid", d.Address, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ResolvedOnce_ThenDnsFails_KeepsTheLastAddresses_AndAsksAgain()
    {
        var dns = new ScriptedResolver();
        var resolver = new LastKnownDestinationResolver(dns, new StaticOptions(), NullLogger<LastKnownDestinationResolver>.Instance);
        var configured = new Dictionary<string, DestinationConfig> { ["web"] = new() { Address = "http://web:8080" } };

        var first = await resolver.ResolveDestinationsAsync(configured, CancellationToken.None);
        dns.Fails = true;
        var second = await resolver.ResolveDestinationsAsync(configured, CancellationToken.None);

        Assert.Equal(["web[10.0.0.7]"], first.Destinations.Keys);
        Assert.Equal(first.Destinations, second.Destinations);
        Assert.NotNull(second.ChangeToken);
        await Poll.UntilAsync(() => second.ChangeToken!.HasChanged, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task NeverResolved_StartsEmpty_AndAsksAgain()
    {
        var resolver = new LastKnownDestinationResolver(new ScriptedResolver { Fails = true }, new StaticOptions(), NullLogger<LastKnownDestinationResolver>.Instance);

        var result = await resolver.ResolveDestinationsAsync(new Dictionary<string, DestinationConfig> { ["web"] = new() { Address = "http://web:8080" } }, CancellationToken.None);

        Assert.Empty(result.Destinations);
        Assert.NotNull(result.ChangeToken);
    }

    /// <summary>Stands in for DNS in the two tests of the keeping logic itself: answers one address, or fails.</summary>
    private sealed class ScriptedResolver : IDestinationResolver
    {
        public bool Fails { get; set; }

        public ValueTask<ResolvedDestinationCollection> ResolveDestinationsAsync(IReadOnlyDictionary<string, DestinationConfig> destinations, CancellationToken cancellationToken) =>
            Fails
                ? throw new InvalidOperationException("Failed to resolve host 'web'.")
                : ValueTask.FromResult(new ResolvedDestinationCollection(
                    destinations.ToDictionary(d => $"{d.Key}[10.0.0.7]", d => d.Value with { Address = "http://10.0.0.7:8080" }), null));
    }

    private sealed class StaticOptions : IOptionsMonitor<DnsDestinationResolverOptions>
    {
        public DnsDestinationResolverOptions CurrentValue { get; } = new() { RefreshPeriod = TimeSpan.FromMilliseconds(200) };

        public DnsDestinationResolverOptions Get(string? name) => CurrentValue;

        public IDisposable? OnChange(Action<DnsDestinationResolverOptions, string?> listener) => null;
    }
}
