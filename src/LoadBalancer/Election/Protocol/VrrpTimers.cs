namespace Foobar.LoadBalancer.Election.Protocol;

/// <summary>
/// The timer formulas of RFC 9568 section 6.1, in one place: the state machine times its own Master_Down_Timer with
/// them and the peer view uses them to call a peer silent.
/// </summary>
internal static class VrrpTimers
{
    /// <summary>RFC 9568 6.1: Skew_Time = ((256 - Priority) * Master_Adver_Interval) / 256.</summary>
    /// <remarks>Priority 0 ("leaving") counts as 1, the lowest a live node can advertise.</remarks>
    public static TimeSpan SkewTime(TimeSpan masterAdverInterval, byte priority) =>
        (256 - Math.Max((int)priority, 1)) * masterAdverInterval / 256;

    /// <summary>RFC 9568 6.1: Master_Down_Interval = (3 * Master_Adver_Interval) + Skew_Time.</summary>
    public static TimeSpan MasterDownInterval(TimeSpan masterAdverInterval, byte priority) =>
        (3 * masterAdverInterval) + SkewTime(masterAdverInterval, priority);
}
