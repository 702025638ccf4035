using Foobar.LoadBalancer.Election.Witness;
using Microsoft.Extensions.Time.Testing;

namespace Foobar.LoadBalancer.Tests.Election.Witness;

/// <summary>The lease logic on a fake clock: interval 200 ms, lease 1 s, so a holder counts on its lease for 800 ms after sending a renewal.</summary>
public sealed class WitnessLeaseTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(1);

    private readonly FakeTimeProvider _time = new();
    private readonly WitnessLease _lease;

    public WitnessLeaseTests() => _lease = new WitnessLease(new WitnessTiming(Interval, Lease), "lb-1", _time);

    [Fact]
    public void CheckHold_RenewedWithinLeaseLessMargin_Keeps()
    {
        HoldWithGrant();

        _time.Advance(TimeSpan.FromMilliseconds(790));

        Assert.Null(_lease.CheckHold(backupVotes: 0, peers: 1));
        Assert.Equal(WitnessState.Holding, _lease.State);
    }

    [Fact]
    public void CheckHold_NoRenewalForLeaseLessMarginAndNoBackupHeard_Fences()
    {
        HoldWithGrant();
        _lease.Failed("connection refused");

        _time.Advance(TimeSpan.FromMilliseconds(800));

        var reason = _lease.CheckHold(backupVotes: 0, peers: 1);
        Assert.NotNull(reason);
        Assert.Contains("connection refused", reason, StringComparison.Ordinal);
        Assert.Equal(WitnessState.Unconfirmed, _lease.State);
    }

    [Fact]
    public void CheckHold_WitnessAwayButPeerHeardAsBackup_Keeps()
    {
        HoldWithGrant();
        _lease.Failed("connection refused");

        _time.Advance(TimeSpan.FromMinutes(5));

        // Two votes of three: this node and the Backup that defers to it (which needs the lease to take over).
        Assert.Null(_lease.CheckHold(backupVotes: 1, peers: 1));
    }

    [Fact]
    public void CheckHold_ThreeLoadBalancersOneBackupHeard_FencesWithoutMajority()
    {
        HoldWithGrant();
        _time.Advance(TimeSpan.FromSeconds(1));

        // Four votes (three nodes and the witness): itself and one Backup are not a majority.
        Assert.NotNull(_lease.CheckHold(backupVotes: 1, peers: 2));
        Assert.Null(_lease.CheckHold(backupVotes: 2, peers: 2));
    }

    [Fact]
    public void CheckHold_NotHolding_NeverFences()
    {
        _lease.Acquiring();

        _time.Advance(TimeSpan.FromMinutes(1));

        Assert.Null(_lease.CheckHold(backupVotes: 0, peers: 1));
    }

    [Fact]
    public void Refused_AfterALeaseConfirmedInThisHold_IsALoss()
    {
        HoldWithGrant();
        _time.Advance(TimeSpan.FromSeconds(2));

        var lost = _lease.Refused(new LeaseReply(false, "lb-2", 20, TimeSpan.FromMilliseconds(900)));

        Assert.True(lost);
    }

    [Fact]
    public void Refused_HoldNeverConfirmed_IsNotALossButNeedsAVote()
    {
        // A handover taken while the witness was away: the outgoing node's lease has not run out yet.
        _lease.Acquiring();
        _lease.Holding();

        var lost = _lease.Refused(new LeaseReply(false, "lb-2", 9, TimeSpan.FromMilliseconds(300)));

        Assert.False(lost);
        Assert.Null(_lease.CheckHold(backupVotes: 1, peers: 1));
        Assert.NotNull(_lease.CheckHold(backupVotes: 0, peers: 1));
    }

    [Fact]
    public void Yielded_ThenWantedAgain_UnconfirmedUntilRenewed()
    {
        HoldWithGrant();

        _lease.Yielded();
        Assert.Equal(WitnessState.Yielded, _lease.State);
        _lease.Holding();

        Assert.Equal(WitnessState.Unconfirmed, _lease.State);
        // Someone took the lease after it was given back: that is a loss (this hold had it).
        Assert.True(_lease.Refused(new LeaseReply(false, "lb-2", 30, Lease)));
    }

    [Fact]
    public void Granted_WhileIdle_ConfirmsNothing()
    {
        _lease.Granted(_time.GetTimestamp(), new LeaseReply(true, "lb-1", 5, Lease));

        Assert.False(_lease.Confirmed);
        Assert.Equal(WitnessState.Idle, _lease.State);
    }

    [Fact]
    public void Confirmed_MeasuredFromWhenTheRequestWasSent_NotWhenItWasAnswered()
    {
        _lease.Acquiring();
        var sentAt = _time.GetTimestamp();
        _time.Advance(TimeSpan.FromMilliseconds(500));
        _lease.Granted(sentAt, new LeaseReply(true, "lb-1", 5, Lease));
        _lease.Holding();

        _time.Advance(TimeSpan.FromMilliseconds(299));
        Assert.True(_lease.Confirmed);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.False(_lease.Confirmed);
    }

    [Fact]
    public void State_AcquiringRefusedByAnother_IsHeldByOther()
    {
        _lease.Acquiring();

        _lease.Refused(new LeaseReply(false, "lb-2", 7, TimeSpan.FromMilliseconds(600)));

        var status = _lease.Status;
        Assert.Equal((WitnessState.HeldByOther, "lb-2", 7UL), (status.State, status.Holder, status.Term));
    }

    [Fact]
    public void GuardRemaining_TwoAndAHalfIntervalsAfterBecomingMaster()
    {
        var since = _time.GetTimestamp();

        Assert.Equal(TimeSpan.FromMilliseconds(500), _lease.GuardRemaining(since));
        _time.Advance(TimeSpan.FromMilliseconds(400));
        Assert.Equal(TimeSpan.FromMilliseconds(100), _lease.GuardRemaining(since));
        _time.Advance(TimeSpan.FromMilliseconds(400));
        Assert.Equal(TimeSpan.Zero, _lease.GuardRemaining(since));
    }

    [Theory]
    [InlineData(true, 900, 50)]
    [InlineData(false, 120, 120)]
    [InlineData(false, 900, 200)]
    [InlineData(false, 5, 50)]
    public void RetryDelay_FollowsTheOtherLeaseWithinQuarterAndOneInterval(bool handover, int remainingMs, int expectedMs)
    {
        var refusal = new LeaseReply(false, "lb-2", 3, TimeSpan.FromMilliseconds(remainingMs));

        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), _lease.RetryDelay(refusal, handover));
    }

    [Fact]
    public void RetryDelay_WitnessUnreachable_OneInterval() =>
        Assert.Equal(Interval, _lease.RetryDelay(refusal: null, handover: false));

    private void HoldWithGrant()
    {
        _lease.Acquiring();
        _lease.Granted(_time.GetTimestamp(), new LeaseReply(true, "lb-1", 10, Lease));
        _lease.Holding();
    }
}
