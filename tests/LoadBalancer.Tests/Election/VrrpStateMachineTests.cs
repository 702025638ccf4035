using Foobar.LoadBalancer.Election;
using Foobar.LoadBalancer.Election.Protocol;
using Microsoft.Extensions.Time.Testing;
using static Foobar.LoadBalancer.Tests.Election.MachineProbe;

namespace Foobar.LoadBalancer.Tests.Election;

public sealed class VrrpStateMachineTests
{
    private static readonly TimeSpan Tick = TimeSpan.FromTicks(1);

    // RFC 9568 6.1 with a 200 ms interval: priority 100 -> skew 156/256 x 200 ms = 121.875 ms, down = 721.875 ms.
    private static readonly TimeSpan Skew100 = TimeSpan.FromMilliseconds(121.875);
    private static readonly TimeSpan Down100 = TimeSpan.FromMilliseconds(721.875);

    [Theory]
    [InlineData(100, 121.875, 721.875)]
    [InlineData(200, 43.75, 643.75)]
    [InlineData(128, 100, 700)]
    public void MasterDownInterval_Priority_FollowsRfc9568Formula(byte priority, double skewMs, double downMs)
    {
        using var node = new MachineProbe(new FakeTimeProvider(), "lb-1", priority);

        Assert.Equal(TimeSpan.FromMilliseconds(skewMs), node.Machine.SkewTime);
        Assert.Equal(TimeSpan.FromMilliseconds(downMs), node.Machine.MasterDownInterval);
    }

    [Fact]
    public void Start_NormalPriority_GoesBackupAndSendsNoMasterAdvertisement()
    {
        using var node = new MachineProbe(new FakeTimeProvider(), "lb-1", 254);

        node.Machine.Start();

        Assert.Equal(VrrpState.Backup, node.State);
        var transition = Assert.Single(node.Transitions);
        Assert.Equal((VrrpState.Initialize, VrrpState.Backup), (transition.From, transition.To));
        Assert.DoesNotContain(node.Sent, s => s.State == VrrpState.Master);
    }

    [Fact]
    public void Start_Priority255_BecomesMasterAtOnce()
    {
        using var node = new MachineProbe(new FakeTimeProvider(), "owner", 255);

        node.Machine.Start();

        Assert.Equal(VrrpState.Master, node.State);
        Assert.Equal((255, VrrpState.Master), (node.Sent[0].Priority, node.Sent[0].State));
    }

    [Fact]
    public void Start_NobodyHeard_MasterAfterExactlyMasterDownInterval()
    {
        var time = new FakeTimeProvider();
        using var node = new MachineProbe(time, "lb-1", 100);
        node.Machine.Start();

        time.Advance(Down100 - Tick);
        Assert.Equal(VrrpState.Backup, node.State);

        time.Advance(Tick);
        Assert.Equal(VrrpState.Master, node.State);
        Assert.Contains(node.Sent, s => s.At == time.GetUtcNow() && s.Priority == 100 && s.State == VrrpState.Master);
        Assert.Contains("Master_Down_Interval", node.Transitions[^1].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Master_AdverTimer_AdvertisesEveryInterval()
    {
        var time = new FakeTimeProvider();
        using var node = new MachineProbe(time, "lb-1", 100);
        node.Machine.Start();
        time.Advance(Down100);
        node.Sent.Clear();

        // One step per millisecond: each advertisement re-arms the timer from the moment it fired.
        for (var i = 0; i < 1000; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(1));
        }

        Assert.Equal(5, node.Sent.Count(s => s.State == VrrpState.Master && s.Priority == 100));
    }

    [Fact]
    public void Backup_LeaderGoesSilent_TakesOverExactlyMasterDownIntervalAfterLastAdvertisement()
    {
        var time = new FakeTimeProvider();
        using var node = new MachineProbe(time, "lb-2", 100);
        node.Machine.Start();
        for (var i = 0; i < 10; i++)
        {
            node.Machine.ReceiveAdvertisement(Adv("lb-1", 200));
            time.Advance(Interval);
        }

        node.Machine.ReceiveAdvertisement(Adv("lb-1", 200));
        time.Advance(Down100 - Tick);
        Assert.Equal(VrrpState.Backup, node.State);

        time.Advance(Tick);
        Assert.Equal(VrrpState.Master, node.State);
        Assert.Contains("lb-1", node.Transitions[^1].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Backup_SlowerMasterInterval_UsesMasterAdverIntervalFromAdvertisement()
    {
        var time = new FakeTimeProvider();
        using var node = new MachineProbe(time, "lb-2", 100);
        node.Machine.Start();

        node.Machine.ReceiveAdvertisement(Adv("lb-1", 200, interval: TimeSpan.FromSeconds(1)));

        // RFC 9568 6.4.2: Master_Adver_Interval comes from the advertisement: 3 s + 156/256 s.
        Assert.Equal(TimeSpan.FromSeconds(3) + TimeSpan.FromSeconds(156.0 / 256), node.Machine.MasterDownInterval);
        time.Advance(TimeSpan.FromSeconds(3.5));
        Assert.Equal(VrrpState.Backup, node.State);
        time.Advance(TimeSpan.FromSeconds(0.2));
        Assert.Equal(VrrpState.Master, node.State);
    }

    [Fact]
    public void Backup_PreemptOnLowerPriorityMaster_TakesOverAfterMasterDownInterval()
    {
        var time = new FakeTimeProvider();
        using var node = new MachineProbe(time, "lb-1", 200);
        node.Machine.Start();

        for (var i = 0; i < 3; i++)
        {
            node.Machine.ReceiveAdvertisement(Adv("lb-2", 100));
            time.Advance(Interval);
        }

        // Discarded advertisements never reset the timer: lb-1 preempts 643.75 ms after start.
        Assert.Equal(VrrpState.Backup, node.State);
        node.Machine.ReceiveAdvertisement(Adv("lb-2", 100));
        time.Advance(TimeSpan.FromMilliseconds(643.75) - (3 * Interval));
        Assert.Equal(VrrpState.Master, node.State);
    }

    [Fact]
    public void Backup_PreemptOffLowerPriorityMaster_StaysBackup()
    {
        var time = new FakeTimeProvider();
        using var node = new MachineProbe(time, "lb-1", 200, preempt: false);
        node.Machine.Start();

        for (var i = 0; i < 50; i++)
        {
            node.Machine.ReceiveAdvertisement(Adv("lb-2", 100));
            time.Advance(Interval);
        }

        Assert.Equal(VrrpState.Backup, node.State);
        Assert.Single(node.Transitions);
    }

    [Fact]
    public void Backup_PreemptDelay_PreemptsOnlyAfterTheDelay()
    {
        var time = new FakeTimeProvider();
        var delay = TimeSpan.FromSeconds(3);
        using var node = new MachineProbe(time, "lb-1", 200, preemptDelay: delay);
        node.Machine.Start();

        var elapsed = TimeSpan.Zero;
        while (node.State == VrrpState.Backup && elapsed < TimeSpan.FromSeconds(10))
        {
            node.Machine.ReceiveAdvertisement(Adv("lb-2", 100));
            time.Advance(Interval);
            elapsed += Interval;
        }

        // Tolerated for 3 s (the last accepted one arrived at 2.8 s), then discarded: takeover one
        // Master_Down_Interval (643.75 ms) after the last accepted, observed at the next 200 ms step.
        Assert.Equal(VrrpState.Master, node.State);
        Assert.InRange(elapsed, delay - Interval + TimeSpan.FromMilliseconds(643.75), delay + TimeSpan.FromMilliseconds(643.75));
        Assert.Contains("preempted lower priority master lb-2", node.Transitions[^1].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Backup_NotReadyToTakeTheEndpoint_DefersToALowerPriorityMasterThenPreemptsOnceReady()
    {
        var time = new FakeTimeProvider();
        var ready = false;
        using var node = new MachineProbe(time, "lb-1", 200, preemptBlocker: () => ready ? null : "the witness has not answered yet");
        node.Machine.Start();

        // A fresh node whose endpoint or witness is not ready keeps lb-2 as Master: preempting it would make lb-2 let go
        // and wait for a node that cannot take the endpoint yet (issue 13).
        for (var i = 0; i < 25; i++)
        {
            node.Machine.ReceiveAdvertisement(Adv("lb-2", 100));
            time.Advance(Interval);
        }

        Assert.Equal(VrrpState.Backup, node.State);
        Assert.Single(node.Transitions);

        ready = true;
        var elapsed = TimeSpan.Zero;
        while (node.State == VrrpState.Backup && elapsed < TimeSpan.FromSeconds(5))
        {
            node.Machine.ReceiveAdvertisement(Adv("lb-2", 100));
            time.Advance(Interval);
            elapsed += Interval;
        }

        // The last accepted advertisement was the last one before it was ready: Master_Down_Interval (643.75 ms) later.
        Assert.Equal(VrrpState.Master, node.State);
        Assert.InRange(elapsed, TimeSpan.FromMilliseconds(643.75) - Interval, TimeSpan.FromMilliseconds(643.75) + Interval);
        Assert.Contains("preempted lower priority master lb-2", node.Transitions[^1].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Backup_NotReadyToTakeTheEndpoint_LowerPriorityMasterGoesSilent_TakesOverOnceReady()
    {
        var time = new FakeTimeProvider();
        var ready = false;
        using var node = new MachineProbe(time, "lb-1", 200, preemptBlocker: () => ready ? null : "the virtual endpoint is not prepared yet");
        node.Machine.Start();
        for (var i = 0; i < 10; i++)
        {
            node.Machine.ReceiveAdvertisement(Adv("lb-2", 100));
            time.Advance(Interval);
        }

        // Silent, or only unheard by a starved process: not ready, this node could not take the endpoint anyway.
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(VrrpState.Backup, node.State);

        // Ready: a Master that went silent is replaced at the next firing, within one Master_Down_Interval.
        ready = true;
        time.Advance(TimeSpan.FromMilliseconds(643.75));
        Assert.Equal(VrrpState.Master, node.State);
        Assert.Contains("no advertisement from master lb-2", node.Transitions[^1].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Backup_NotReadyToTakeTheEndpoint_DeferredToMasterLeaves_TakesOverAfterSkewTime()
    {
        var time = new FakeTimeProvider();
        using var node = new MachineProbe(time, "lb-1", 200, preemptBlocker: () => "the virtual endpoint is not prepared yet");
        node.Machine.Start();
        node.Machine.ReceiveAdvertisement(Adv("lb-2", 100));
        time.Advance(Interval);

        // A Master that leaves waits for a successor it hears as Master (up to 4 handover timeouts), so succeed it.
        node.Machine.ReceiveAdvertisement(Adv("lb-2", 0));
        time.Advance(TimeSpan.FromMilliseconds(43.75));
        Assert.Equal(VrrpState.Master, node.State);
        Assert.Contains("priority 0", node.Transitions[^1].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Backup_NotReadyButNeverDeferred_BecomesMasterAfterMasterDownInterval()
    {
        var time = new FakeTimeProvider();
        using var node = new MachineProbe(time, "lb-1", 200, preemptBlocker: () => "the witness has not answered yet");
        node.Machine.Start();

        // Alone (or hearing only higher priorities): readiness is about preempting, never about a vacant mastership.
        time.Advance(TimeSpan.FromMilliseconds(643.75));
        Assert.Equal(VrrpState.Master, node.State);
    }

    [Fact]
    public void Backup_PriorityZero_TakesOverAfterExactlySkewTime()
    {
        var time = new FakeTimeProvider();
        using var node = new MachineProbe(time, "lb-2", 100);
        node.Machine.Start();
        node.Machine.ReceiveAdvertisement(Adv("lb-1", 200));
        time.Advance(Interval);

        node.Machine.ReceiveAdvertisement(Adv("lb-1", 0));
        time.Advance(Skew100 - Tick);
        Assert.Equal(VrrpState.Backup, node.State);

        time.Advance(Tick);
        Assert.Equal(VrrpState.Master, node.State);
        Assert.Contains("priority 0", node.Transitions[^1].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Backup_AnnouncementFromAnotherBackup_DoesNotHoldOffTakeover()
    {
        var time = new FakeTimeProvider();
        using var node = new MachineProbe(time, "lb-2", 100);
        node.Machine.Start();

        for (var i = 0; i < 4; i++)
        {
            node.Machine.ReceiveAdvertisement(Adv("lb-1", 200, VrrpState.Backup));
            time.Advance(Interval);
        }

        Assert.Equal(VrrpState.Master, node.State);
        Assert.Equal(VrrpState.Backup, Assert.Single(node.Machine.GetSnapshot().Peers).State);
    }

    [Fact]
    public void Master_HigherPriorityAdvertisement_GoesBackup()
    {
        var time = new FakeTimeProvider();
        using var node = new MachineProbe(time, "lb-2", 100);
        node.Machine.Start();
        time.Advance(Down100);
        Assert.Equal(VrrpState.Master, node.State);

        node.Machine.ReceiveAdvertisement(Adv("lb-1", 200));

        Assert.Equal(VrrpState.Backup, node.State);
        Assert.Equal("higher priority master lb-1 (200 > 100)", node.Transitions[^1].Reason);

        // And it stays Backup while lb-1 keeps advertising.
        node.Sent.Clear();
        for (var i = 0; i < 20; i++)
        {
            time.Advance(Interval);
            node.Machine.ReceiveAdvertisement(Adv("lb-1", 200));
        }

        Assert.Equal(VrrpState.Backup, node.State);
        Assert.DoesNotContain(node.Sent, s => s.State == VrrpState.Master);
    }

    [Fact]
    public void Master_LowerPriorityAdvertisement_IgnoredAndAnsweredAtOnce()
    {
        var time = new FakeTimeProvider();
        using var node = new MachineProbe(time, "lb-1", 200);
        node.Machine.Start();
        time.Advance(TimeSpan.FromMilliseconds(643.75));
        node.Sent.Clear();

        node.Machine.ReceiveAdvertisement(Adv("lb-2", 100));

        Assert.Equal(VrrpState.Master, node.State);
        var answer = Assert.Single(node.Sent);
        Assert.Equal((200, VrrpState.Master), (answer.Priority, answer.State));
    }

    [Fact]
    public void Master_PriorityZeroFromAnother_AnswersAndStaysMaster()
    {
        var time = new FakeTimeProvider();
        using var node = new MachineProbe(time, "lb-1", 200);
        node.Machine.Start();
        time.Advance(TimeSpan.FromMilliseconds(643.75));
        node.Sent.Clear();

        node.Machine.ReceiveAdvertisement(Adv("lb-2", 0));

        Assert.Equal(VrrpState.Master, node.State);
        Assert.Equal(200, Assert.Single(node.Sent).Priority);
    }

    [Theory]
    [InlineData("lb-1", "lb-2", false)]
    [InlineData("lb-2", "lb-1", true)]
    public void Master_EqualPriority_GreaterNameWins(string self, string other, bool staysMaster)
    {
        var time = new FakeTimeProvider();
        using var node = new MachineProbe(time, self, 100);
        node.Machine.Start();
        time.Advance(Down100);

        node.Machine.ReceiveAdvertisement(Adv(other, 100));

        Assert.Equal(staysMaster ? VrrpState.Master : VrrpState.Backup, node.State);
    }

    [Fact]
    public void Lan_EqualPriorities_ElectExactlyTheGreaterName()
    {
        using var lan = new SimulatedLan();
        var a = lan.Add("lb-a", 100);
        var b = lan.Add("lb-b", 100);
        a.Machine.Start();
        b.Machine.Start();

        lan.Advance(TimeSpan.FromSeconds(3));

        Assert.Equal(VrrpState.Master, b.State);
        Assert.Equal(VrrpState.Backup, a.State);
    }

    [Fact]
    public void Lan_LeaderKilled_BackupTakesOverWithinMasterDownInterval()
    {
        using var lan = new SimulatedLan();
        var lb1 = lan.Add("lb-1", 200);
        var lb2 = lan.Add("lb-2", 100);
        lb1.Machine.Start();
        lb2.Machine.Start();
        lan.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal((VrrpState.Master, VrrpState.Backup), (lb1.State, lb2.State));

        lan.Cut("lb-1");
        var took = lan.AdvanceUntil(() => lb2.State == VrrpState.Master, TimeSpan.FromSeconds(2));

        Assert.NotNull(took);
        Assert.InRange(took.Value, Down100 - Interval, Down100 + TimeSpan.FromMilliseconds(1));
    }

    [Fact]
    public void Lan_GracefulShutdownOfLeader_BackupTakesOverAfterSkewTime()
    {
        using var lan = new SimulatedLan();
        var lb1 = lan.Add("lb-1", 200);
        var lb2 = lan.Add("lb-2", 100);
        lb1.Machine.Start();
        lb2.Machine.Start();
        lan.Advance(TimeSpan.FromSeconds(2));

        lb1.Machine.Shutdown();
        Assert.Equal(VrrpState.Initialize, lb1.State);
        Assert.Equal((0, VrrpState.Master), (lb1.Sent[^1].Priority, lb1.Sent[^1].State));
        var took = lan.AdvanceUntil(() => lb2.State == VrrpState.Master, TimeSpan.FromSeconds(2));

        Assert.NotNull(took);
        Assert.InRange(took.Value, Skew100, Skew100 + TimeSpan.FromMilliseconds(1));
    }

    [Fact]
    public void Lan_RestartedHigherPriorityNode_TakesLeadershipBack()
    {
        using var lan = new SimulatedLan();
        var lb2 = lan.Add("lb-2", 100);
        lb2.Machine.Start();
        lan.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(VrrpState.Master, lb2.State);

        var lb1 = lan.Add("lb-1", 200);
        lb1.Machine.Start();
        var took = lan.AdvanceUntil(() => lb1.State == VrrpState.Master && lb2.State == VrrpState.Backup, TimeSpan.FromSeconds(2));

        Assert.NotNull(took);
        Assert.Equal(1, lan.MasterCount());
    }

    [Fact]
    public void Lan_LeaderUnhealthyThenHealthy_YieldsPromptlyAndTakesBack()
    {
        using var lan = new SimulatedLan();
        var lb1 = lan.Add("lb-1", 200);
        var lb2 = lan.Add("lb-2", 100);
        lb1.Machine.Start();
        lb2.Machine.Start();
        lan.Advance(TimeSpan.FromSeconds(2));

        lb1.Machine.SetHealth(false, "no healthy web server");
        Assert.Equal(50, lb1.Machine.EffectivePriority);
        Assert.Equal(50, lb1.Sent[^1].Priority);
        var yielded = lan.AdvanceUntil(() => lb2.State == VrrpState.Master && lb1.State == VrrpState.Backup, TimeSpan.FromSeconds(2));

        // lb-2 discards the 50 and its timer, armed by lb-1's last full-priority advertisement, runs out.
        Assert.NotNull(yielded);
        Assert.True(yielded.Value <= Down100, $"yielded after {yielded}");
        Assert.Equal("higher priority master lb-2 (100 > 50)", lb1.Transitions[^1].Reason);

        lb1.Machine.SetHealth(true, null);
        var back = lan.AdvanceUntil(() => lb1.State == VrrpState.Master && lb2.State == VrrpState.Backup, TimeSpan.FromSeconds(2));

        Assert.NotNull(back);
        Assert.True(back.Value <= TimeSpan.FromMilliseconds(643.75) + Interval, $"took back after {back}");
        lan.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal((VrrpState.Master, VrrpState.Backup), (lb1.State, lb2.State));
    }

    [Fact]
    public void Lan_BothUnhealthy_HigherConfiguredPriorityStillLeads()
    {
        using var lan = new SimulatedLan();
        var lb1 = lan.Add("lb-1", 200);
        var lb2 = lan.Add("lb-2", 100);
        lb1.Machine.Start();
        lb2.Machine.Start();
        lb1.Machine.SetHealth(false, "no healthy web server");
        lb2.Machine.SetHealth(false, "no healthy web server");

        lan.Advance(TimeSpan.FromSeconds(3));

        Assert.Equal(1, lb2.Machine.EffectivePriority);
        Assert.Equal((VrrpState.Master, VrrpState.Backup), (lb1.State, lb2.State));
    }

    [Fact]
    public void Lan_SteadyState_NoFlappingOverOneMinute()
    {
        using var lan = new SimulatedLan();
        var lb1 = lan.Add("lb-1", 200);
        var lb2 = lan.Add("lb-2", 100);
        lb1.Machine.Start();
        lb2.Machine.Start();
        lan.Advance(TimeSpan.FromSeconds(2));
        var before = lb1.Transitions.Count + lb2.Transitions.Count;

        lan.Advance(TimeSpan.FromSeconds(60));

        Assert.Equal(before, lb1.Transitions.Count + lb2.Transitions.Count);
        Assert.Equal(1, lan.MasterCount());
    }

    [Fact]
    public void Shutdown_Backup_GoesInitializeWithoutPriorityZero()
    {
        var time = new FakeTimeProvider();
        using var node = new MachineProbe(time, "lb-2", 100);
        node.Machine.Start();

        node.Machine.Shutdown();
        time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(VrrpState.Initialize, node.State);
        Assert.DoesNotContain(node.Sent, s => s.Priority == 0);
    }

    [Fact]
    public void SetHealth_BackupRecovers_EffectivePriorityRestored()
    {
        using var node = new MachineProbe(new FakeTimeProvider(), "lb-1", 120);
        node.Machine.Start();

        node.Machine.SetHealth(false, "cannot bind the endpoint");
        var sick = node.Machine.GetSnapshot();
        node.Machine.SetHealth(true, null);

        Assert.Equal((1, false, "cannot bind the endpoint"), (sick.EffectivePriority, sick.Healthy, sick.HealthReason));
        Assert.Equal(120, node.Machine.EffectivePriority);
    }

    [Fact]
    public void GetSnapshot_ManyTransitions_HistoryBoundedNewestKept()
    {
        var time = new FakeTimeProvider();
        using var node = new MachineProbe(time, "lb-2", 100, historyCapacity: 4);
        node.Machine.Start();
        for (var i = 0; i < 5; i++)
        {
            time.Advance(Down100);
            node.Machine.ReceiveAdvertisement(Adv("lb-1", 200));
        }

        var history = node.Machine.GetSnapshot().History;

        Assert.Equal(11, node.Transitions.Count);
        Assert.Equal(4, history.Count);
        Assert.Equal(node.Transitions[^4..], history);
    }

    [Fact]
    public void GetSnapshot_AdvertisementHeard_PeerRecordedWithTime()
    {
        var time = new FakeTimeProvider();
        using var node = new MachineProbe(time, "lb-2", 100);
        node.Machine.Start();
        time.Advance(TimeSpan.FromMilliseconds(50));

        node.Machine.ReceiveAdvertisement(Adv("lb-1", 200));

        var peer = Assert.Single(node.Machine.GetSnapshot().Peers);
        Assert.Equal(new PeerAdvertisement("lb-1", 200, VrrpState.Master, Interval, time.GetUtcNow()), peer);
    }
}
