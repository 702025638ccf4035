namespace Foobar.LoadBalancer.Election;

/// <summary>
/// <c>listen</c> mode: the leader opens the public listeners, a follower keeps them closed. Both nodes may name the
/// same address and port; the operating system lets only one process bind it, which is the fence against two
/// owners. Only the public endpoints' configuration keys change, so the admin listener is never touched, and
/// connections already accepted keep being served after a release (Kestrel only stops accepting).
/// </summary>
internal sealed class ListenVirtualEndpoint(
    PublicEndpointConfigurationProvider provider,
    ListenBindObserver observer,
    IReadOnlyList<PublicEndpoint> endpoints,
    TimeProvider time) : IVirtualEndpoint
{
    /// <summary>How long Kestrel gets to report a bind after the reload (it usually takes ~30 ms).</summary>
    private static readonly TimeSpan BindTimeout = TimeSpan.FromSeconds(3);

    public async Task AcquireAsync(CancellationToken cancellationToken)
    {
        var outcome = observer.Expect();
        if (provider.IsOpen)
        {
            // The keys of a failed attempt are still there and Kestrel only binds what changed: remove them first.
            provider.Close();
        }

        provider.Open(endpoints);
        var finished = await Task.WhenAny(outcome, Task.Delay(BindTimeout, time, cancellationToken));
        if (finished != outcome)
        {
            provider.Close();
            throw new VirtualEndpointUnavailableException(
                "Kestrel did not bind the public endpoints after a configuration reload; is Kestrel configured from the 'Kestrel' section with reloadOnChange?");
        }

        if (await outcome is { } failure)
        {
            // Leave the keys in place: a later attempt closes and reopens them. Closing here would be a second reload.
            var why = ListenBindObserver.IsAddressInUse(failure) ? "address already in use" : failure.Message;
            throw new VirtualEndpointUnavailableException($"{string.Join(", ", endpoints.Select(e => e.Url))}: {why}", failure);
        }
    }

    public Task ReleaseAsync(CancellationToken cancellationToken)
    {
        provider.Close();
        return Task.CompletedTask;
    }
}
