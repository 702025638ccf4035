using Foobar.LoadBalancer.Election;
using Foobar.LoadBalancer.Election.Protocol;
using Foobar.LoadBalancer.Election.Transport;
using Microsoft.Extensions.Time.Testing;

namespace Foobar.LoadBalancer.Tests.Election;

/// <summary>A state machine on a fake clock that records what it sends and every transition.</summary>
internal sealed class MachineProbe : IDisposable
{
    public MachineProbe(FakeTimeProvider time, string name, byte priority, bool preempt = true, TimeSpan? preemptDelay = null, int historyCapacity = 64, Func<string?>? preemptBlocker = null)
    {
        Time = time;
        Machine = new VrrpStateMachine(
            new VrrpSettings
            {
                NodeName = name,
                Priority = priority,
                AdvertisementInterval = Interval,
                Preempt = preempt,
                PreemptDelay = preemptDelay ?? TimeSpan.Zero,
                HealthPenalty = 150,
                HistoryCapacity = historyCapacity,
            },
            time,
            preemptBlocker);
        Machine.SendAdvertisement += (p, s) => Sent.Add((time.GetUtcNow(), p, s));
        Machine.StateChanged += Transitions.Add;
    }

    public static TimeSpan Interval { get; } = TimeSpan.FromMilliseconds(200);

    public FakeTimeProvider Time { get; }

    public VrrpStateMachine Machine { get; }

    public List<(DateTimeOffset At, byte Priority, VrrpState State)> Sent { get; } = [];

    public List<VrrpTransition> Transitions { get; } = [];

    public VrrpState State => Machine.State;

    public static Advertisement Adv(string node, byte priority, VrrpState state = VrrpState.Master, TimeSpan? interval = null) =>
        new(1, node, priority, interval ?? Interval, state, 1, 1);

    public void Dispose() => Machine.Dispose();
}
