namespace Foobar.LoadBalancer.Election.Address;

/// <summary>
/// How long the kernel keeps the virtual address after its holder last refreshed it, and how often the holder does.
/// A frozen (SIGSTOP, <c>docker pause</c>), hung or starved holder cannot let go of the address itself, and its kernel
/// would keep answering ARP for it next to the new Master's for as long as the freeze lasts; with a lifetime the kernel
/// removes it. Lifetimes are whole seconds (IFA_CACHEINFO), so <see cref="Valid"/> is twice the longest
/// Master_Down_Interval a Backup can have (priority 1: about 4 intervals), at least 2 s, rounded up: the Backup has
/// taken over long before a holder that is merely slow loses the address. The kernel checks lifetimes on whole-second
/// ticks and deletes up to half a second early, so the address goes 1.5-3 s after the last refresh with the default
/// 200 ms interval (docs/election.md, "A frozen or cut-off leader").
/// </summary>
internal sealed record AddressLifetime(TimeSpan Valid, TimeSpan RefreshPeriod, TimeProvider Timers)
{
    public static AddressLifetime From(ElectionOptions options, TimeProvider timers)
    {
        var longestMasterDown = Protocol.VrrpTimers.MasterDownInterval(options.AdvertisementInterval, 1);
        var seconds = Math.Max(2, Math.Ceiling(2 * longestMasterDown.TotalSeconds));
        return new AddressLifetime(TimeSpan.FromSeconds(seconds), options.AdvertisementInterval, timers);
    }
}
