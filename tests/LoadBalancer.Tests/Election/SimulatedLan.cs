using Foobar.LoadBalancer.Election;
using Foobar.LoadBalancer.Election.Protocol;
using Foobar.LoadBalancer.Election.Transport;
using Microsoft.Extensions.Time.Testing;

namespace Foobar.LoadBalancer.Tests.Election;

/// <summary>
/// Several state machines on one fake clock whose advertisements reach each other, delivered after the sender's
/// event returns (so no machine is re-entered). Advance moves the clock in small steps, pumping messages in between.
/// </summary>
internal sealed class SimulatedLan : IDisposable
{
    private readonly Queue<(string From, Advertisement Adv)> _wire = new();
    private readonly List<MachineProbe> _nodes = [];
    private readonly HashSet<string> _cut = [];

    public FakeTimeProvider Time { get; } = new();

    public MachineProbe Add(string name, byte priority, bool preempt = true)
    {
        var probe = new MachineProbe(Time, name, priority, preempt);
        probe.Machine.SendAdvertisement += (p, s) =>
        {
            if (!_cut.Contains(name))
            {
                _wire.Enqueue((name, new Advertisement(1, name, p, MachineProbe.Interval, s, 1, 1)));
            }
        };
        _nodes.Add(probe);
        return probe;
    }

    /// <summary>Like kill -9: the node's packets stop reaching anyone and it hears nothing.</summary>
    public void Cut(string name) => _cut.Add(name);

    public void Advance(TimeSpan total)
    {
        var step = TimeSpan.FromMilliseconds(1);
        for (var t = TimeSpan.Zero; t < total; t += step)
        {
            Pump();
            Time.Advance(step);
        }

        Pump();
    }

    /// <summary>Advances until <paramref name="done"/> holds; returns how long that took, or null after <paramref name="limit"/>.</summary>
    public TimeSpan? AdvanceUntil(Func<bool> done, TimeSpan limit)
    {
        var start = Time.GetUtcNow();
        while (Time.GetUtcNow() - start < limit)
        {
            Pump();
            if (done())
            {
                return Time.GetUtcNow() - start;
            }

            Time.Advance(TimeSpan.FromMilliseconds(1));
        }

        Pump();
        return done() ? Time.GetUtcNow() - start : null;
    }

    public void Pump()
    {
        while (_wire.TryDequeue(out var message))
        {
            foreach (var node in _nodes)
            {
                if (node.Machine.NodeName != message.From && !_cut.Contains(node.Machine.NodeName))
                {
                    node.Machine.ReceiveAdvertisement(message.Adv);
                }
            }
        }
    }

    public int MasterCount() => _nodes.Count(n => !_cut.Contains(n.Machine.NodeName) && n.State == VrrpState.Master);

    public void Dispose()
    {
        foreach (var node in _nodes)
        {
            node.Dispose();
        }
    }
}
