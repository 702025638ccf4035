using Foobar.LoadBalancer.Election.Peers;
using Foobar.LoadBalancer.Election.Protocol;
using Foobar.LoadBalancer.Election.Transport;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Foobar.LoadBalancer.Tests.Election.Peers;

public sealed class PeerViewHistoryTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);

    private readonly FakeTimeProvider _time = new();
    private readonly PeerViewHistory _history;

    public PeerViewHistoryTests() => _history = new PeerViewHistory(_time, NullLogger<PeerViewHistory>.Instance);

    [Fact]
    public void Heard_SameStateEveryInterval_RecordsOnlyTheChange()
    {
        for (var i = 0; i < 10; i++)
        {
            _history.Heard(Adv("lb-2", 100, VrrpState.Backup));
            _time.Advance(Interval);
        }

        var change = Assert.Single(_history.GetHistory());
        Assert.Equal(("lb-2", "Unknown", "Backup"), (change.Node, change.From, change.To));
        Assert.Equal("advertised Backup at priority 100/100", change.Reason);
    }

    [Fact]
    public void Heard_PriorityZero_RecordsLeaving()
    {
        _history.Heard(Adv("lb-2", 200, VrrpState.Master, holdsEndpoint: true));
        _history.Heard(Adv("lb-2", 0, VrrpState.Master));

        Assert.Equal(["Master", "Leaving"], _history.GetHistory().Select(t => t.To));
        Assert.Equal("advertised Master at priority 200/200, holding the endpoint", _history.GetHistory()[0].Reason);
    }

    [Fact]
    public void CheckSilent_NothingForThePeersMasterDownInterval_RecordsSilentOnce()
    {
        var heardAt = _time.GetUtcNow();
        _history.Heard(Adv("lb-2", 100, VrrpState.Master));
        var peer = new PeerAdvertisement("lb-2", 100, VrrpState.Master, Interval, heardAt);

        // Priority 100 at 200 ms: Master_Down_Interval 721.875 ms (RFC 9568 6.1).
        _time.Advance(TimeSpan.FromMilliseconds(721));
        _history.CheckSilent([peer]);
        Assert.Single(_history.GetHistory());

        _time.Advance(TimeSpan.FromMilliseconds(2));
        _history.CheckSilent([peer]);
        _history.CheckSilent([peer]);

        Assert.Equal(["Master", "Silent"], _history.GetHistory().Select(t => t.To));
        Assert.Equal("nothing heard for 723 ms (> 722 ms)", _history.GetHistory()[^1].Reason);
    }

    [Fact]
    public void Heard_ManyChanges_KeepsTheLast64()
    {
        for (var i = 0; i < 100; i++)
        {
            _history.Heard(Adv("lb-2", 100, i % 2 == 0 ? VrrpState.Master : VrrpState.Backup));
        }

        var history = _history.GetHistory();
        Assert.Equal(64, history.Count);
        Assert.Equal("Backup", history[^1].To);
    }

    private static Advertisement Adv(string node, byte priority, VrrpState state, bool holdsEndpoint = false) =>
        new(1, node, priority, Interval, state, 1, 1, priority, holdsEndpoint);
}
