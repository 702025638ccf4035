using System.Diagnostics.Metrics;
using Foobar.LoadBalancer.Election.Protocol;
using Foobar.LoadBalancer.Election.Transport;

namespace Foobar.LoadBalancer.Election;

/// <summary>Meter <c>Foobar.Election</c>: state gauge, effective priority, witness state, transitions and dropped datagrams.</summary>
internal sealed class ElectionMetrics
{
    public const string MeterName = "Foobar.Election";

    private readonly Counter<long> _transitions;
    private readonly Counter<long> _dropped;
    private readonly Counter<long> _received;
    private Func<ElectionSnapshot>? _snapshot;

    public ElectionMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _transitions = meter.CreateCounter<long>("foobar.election.transitions", description: "Changes of election state, tagged from and to.");
        _dropped = meter.CreateCounter<long>("foobar.election.packets.dropped", description: "Datagrams not given to the state machine, tagged by reason.");
        _received = meter.CreateCounter<long>("foobar.election.packets.accepted", description: "Authenticated advertisements given to the state machine.");
        meter.CreateObservableGauge(
            "foobar.election.state",
            () => _snapshot is { } s ? (int)s().State : 0,
            description: "0 Initialize, 1 Backup (follower), 2 Master (leader).");
        meter.CreateObservableGauge(
            "foobar.election.priority.effective",
            () => _snapshot is { } s ? s().EffectivePriority : 0,
            description: "Configured priority minus the health penalty while unhealthy.");
        meter.CreateObservableGauge(
            "foobar.election.witness.state",
            () => _snapshot?.Invoke().Witness is { } witness ? [new Measurement<int>((int)witness.State)] : Array.Empty<Measurement<int>>(),
            description: "This node's lease at the election witness (only with one configured): 0 Idle, 1 Acquiring, 2 HeldByOther, 3 Holding, 4 Unconfirmed, 5 Yielded, 6 Fenced.");
    }

    public void Observe(Func<ElectionSnapshot> snapshot) => _snapshot = snapshot;

    public void Transition(VrrpState from, VrrpState to) =>
        _transitions.Add(1, new KeyValuePair<string, object?>("from", Tag(from)), new KeyValuePair<string, object?>("to", Tag(to)));

    public void Dropped(PacketDropReason reason) => _dropped.Add(1, new KeyValuePair<string, object?>("reason", Tag(reason)));

    public void Accepted() => _received.Add(1);

    public static string Tag(PacketDropReason reason) => reason switch
    {
        PacketDropReason.Malformed => "malformed",
        PacketDropReason.BadMac => "bad_mac",
        PacketDropReason.WrongGroup => "wrong_group",
        PacketDropReason.Own => "own",
        PacketDropReason.Replayed => "replayed",
        _ => "other",
    };

    private static string Tag(VrrpState state) => state switch
    {
        VrrpState.Initialize => "initialize",
        VrrpState.Backup => "backup",
        _ => "master",
    };
}
