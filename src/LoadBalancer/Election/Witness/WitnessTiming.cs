namespace Foobar.LoadBalancer.Election.Witness;

/// <summary>
/// The witness's time constants, all derived from the advertisement interval I and the lease duration L
/// (docs/election.md, "The witness"):
/// <list type="bullet">
/// <item><see cref="Margin"/> = I: a holder whose lease is not confirmed counts it as gone one interval before the
/// database would, which covers the fence check's period and the release itself.</item>
/// <item><see cref="PeerVoteWindow"/> = 2 I: a peer heard announcing itself Backup within that time is a vote for the
/// holder (it defers to it, and would need the lease to take over).</item>
/// <item><see cref="TakeoverGuard"/> = 2.5 I: after becoming Master, a node takes the endpoint away from a silent holder
/// no earlier than that, so a holder that was serving on this node's Backup vote has stopped counting it
/// (<see cref="PeerVoteWindow"/> plus the fence check's period plus slack).</item>
/// <item><see cref="CheckPeriod"/> = I / 4: how often a holder checks whether it still has two votes.</item>
/// </list>
/// </summary>
internal sealed record WitnessTiming(TimeSpan Interval, TimeSpan Lease)
{
    public TimeSpan Margin => Interval;

    public TimeSpan PeerVoteWindow => 2 * Interval;

    public TimeSpan TakeoverGuard => 2.5 * Interval;

    public TimeSpan CheckPeriod => Interval / 4;

    /// <summary>A request to the witness that takes longer than the lease is useless: it is abandoned.</summary>
    public TimeSpan RequestTimeout => Lease;

    /// <summary>
    /// The first connection, opened ahead of any need (the warm-up), may take longer: abandoning it throws the
    /// connection away, and on a loaded machine no later attempt would be quicker. Two first connections took 4.7 s
    /// together at load average 30-46 on 2 cores: 15 s, or the lease if longer.
    /// </summary>
    public TimeSpan FirstConnectionTimeout => Lease > TimeSpan.FromSeconds(15) ? Lease : TimeSpan.FromSeconds(15);

    public static WitnessTiming From(ElectionOptions options) =>
        new(options.AdvertisementInterval, options.Witness.LeaseDuration ?? WitnessOptions.DefaultLeaseIntervals * options.AdvertisementInterval);
}
