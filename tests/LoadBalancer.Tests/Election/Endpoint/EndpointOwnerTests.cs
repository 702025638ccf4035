using System.Diagnostics;
using Foobar.LoadBalancer.Election.Endpoint;
using Foobar.LoadBalancer.Election.Protocol;
using Foobar.LoadBalancer.Election.Transport;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Foobar.LoadBalancer.Tests.Election.Endpoint;

/// <summary>
/// The endpoint owner on a fake clock. The peers it sees come from a real state machine (never started, it records
/// every advertisement it hears); the worker runs on the thread pool, so each step waits, in real time with a
/// generous bound, for the worker to act on what the fake clock did.
/// </summary>
public sealed class EndpointOwnerTests : IAsyncLifetime
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan HandoverTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan RealTimeLimit = TimeSpan.FromSeconds(20);

    private readonly FakeTimeProvider _time = new();
    private readonly MachineProbe _self;
    private readonly ScriptedEndpoint _endpoint = new();
    private readonly EndpointOwner _owner;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _worker;
    private int _problemChanges;

    public EndpointOwnerTests()
    {
        _self = new MachineProbe(_time, "lb-1", 200);
        _owner = new EndpointOwner(_endpoint, _self.Machine.GetSnapshot, Grace, HandoverTimeout, "lb-1", _time, NullLogger<EndpointOwner>.Instance);
        _owner.ProblemChanged += () => Interlocked.Increment(ref _problemChanges);
        _worker = Task.Run(() => _owner.RunAsync(_stop.Token));
    }

    [Fact]
    public async Task Want_NoMasterHeard_AcquiresExclusively()
    {
        _owner.Want(true);

        await WaitUntil(() => _owner.Held);

        Assert.Equal([("acquire", "exclusive")], _endpoint.Calls);
        Assert.Null(_owner.Problem);
    }

    [Fact]
    public async Task Want_MasterHeardWithinTwoIntervals_AcquiresAsHandover()
    {
        Hear("lb-2", 100, holdsEndpoint: true);
        _time.Advance(TimeSpan.FromMilliseconds(300));

        _owner.Want(true);
        await WaitUntil(() => _owner.Held);

        Assert.Equal([("acquire", "handover")], _endpoint.Calls);
    }

    [Fact]
    public async Task Want_HolderSilentForTwoIntervals_TakesOverUnderAHigherTerm()
    {
        Hear("lb-2", 100, holdsEndpoint: true, term: 7);
        _time.Advance(TimeSpan.FromMilliseconds(400));

        _owner.Want(true);
        await WaitUntil(() => _owner.Held);

        // The silent holder may be frozen with its socket open: take the endpoint anyway and steer new work here.
        Assert.Equal([("acquire", "takeover")], _endpoint.Calls);
        Assert.True(_owner.Term.Own > 7, $"term {_owner.Term.Own}");
    }

    [Fact]
    public async Task Want_HolderThatSteppedDownHeardRecently_AcquiresAsHandover()
    {
        // A holder that already stepped down (a Backup still holding, e.g. after its stall watchdog fired) is alive and
        // lets go once this node holds the endpoint: share, do not take over.
        Hear("lb-2", 100, holdsEndpoint: true, state: VrrpState.Backup);
        _time.Advance(TimeSpan.FromMilliseconds(100));

        _owner.Want(true);
        await WaitUntil(() => _owner.Held);

        Assert.Equal([("acquire", "handover")], _endpoint.Calls);
    }

    [Fact]
    public async Task Acquire_FailsLongerThanGracePeriod_ProblemOnlyAfterGraceAndClearedOnceHeld()
    {
        _endpoint.FailuresLeft = int.MaxValue;
        var start = _time.GetUtcNow();
        _owner.Want(true);
        await WaitUntil(() => _endpoint.Acquires == 1);

        var problemAt = await AdvanceUntil(() => _owner.Problem is not null, TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(5));

        Assert.True(problemAt - start >= Grace, $"a problem after {problemAt - start}, before the {Grace} grace period");
        Assert.Contains("address already in use", _owner.Problem, StringComparison.Ordinal);
        Assert.False(_owner.Held);

        // After the grace period retries slow down to one every 500 ms; the first that succeeds clears the problem.
        _endpoint.FailuresLeft = 0;
        await AdvanceUntil(() => _owner.Held, TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(2));
        await WaitUntil(() => _owner.Problem is null);
        Assert.Equal(2, Volatile.Read(ref _problemChanges));
    }

    [Fact]
    public async Task Prepare_FailsLongerThanGracePeriod_UnhealthyWhileBackupAndClearedOnceItWorks()
    {
        // address mode opens its listeners at start, Master or not; a node that cannot must not be elected.
        var endpoint = new ScriptedEndpoint { PrepareFailuresLeft = int.MaxValue };
        var owner = new EndpointOwner(endpoint, _self.Machine.GetSnapshot, Grace, HandoverTimeout, "lb-2", _time, NullLogger<EndpointOwner>.Instance);
        using var stop = new CancellationTokenSource();
        var worker = Task.Run(() => owner.RunAsync(stop.Token));
        var start = _time.GetUtcNow();
        await WaitUntil(() => endpoint.Prepares == 1);

        var problemAt = await AdvanceUntil(() => owner.Problem is not null, TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(5));

        Assert.True(problemAt - start >= Grace, $"a problem after {problemAt - start}, before the {Grace} grace period");
        Assert.Contains("cannot assign requested address", owner.Problem, StringComparison.Ordinal);
        Assert.Empty(endpoint.Calls);

        endpoint.PrepareFailuresLeft = 0;
        await AdvanceUntil(() => owner.Problem is null, TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(2));
        var prepares = endpoint.Prepares;
        await AdvanceBy(TimeSpan.FromSeconds(1));
        Assert.Equal(prepares, endpoint.Prepares);
        Assert.False(owner.Held);

        await stop.CancelAsync();
        await worker.WaitAsync(RealTimeLimit);
    }

    [Fact]
    public async Task Release_NoPeerTakesOver_KeepsServingUntilHandoverTimeout()
    {
        await HoldAsync();

        _owner.Want(false);
        await AdvanceBy(HandoverTimeout - TimeSpan.FromMilliseconds(100));
        Assert.True(_endpoint.Held);

        await AdvanceUntil(() => !_owner.Held, TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(1));
        Assert.Equal(("release", "immediate"), _endpoint.Calls[^1]);
    }

    [Fact]
    public async Task Release_PeerAdvertisesItHoldsTheEndpoint_ReleasesAsHandover()
    {
        await HoldAsync();
        _owner.Want(false);
        await AdvanceBy(TimeSpan.FromMilliseconds(150));
        Assert.True(_endpoint.Held);

        Hear("lb-2", 100, holdsEndpoint: true);
        await AdvanceUntil(() => !_owner.Held, TimeSpan.FromMilliseconds(2), TimeSpan.FromMilliseconds(100));

        Assert.Equal(("release", "handover"), _endpoint.Calls[^1]);
    }

    [Fact]
    public async Task Release_NewMasterHeardButStillBinding_KeepsServingPastTheTimeoutUntilItHolds()
    {
        await HoldAsync();
        _owner.Want(false);

        // The new Master advertises every 200 ms but takes 3 s to bind (a loaded machine): releasing at the 2 s
        // timeout would refuse every new connection for the last second.
        for (var elapsed = TimeSpan.Zero; elapsed < TimeSpan.FromSeconds(3); elapsed += TimeSpan.FromMilliseconds(200))
        {
            Hear("lb-2", 100, holdsEndpoint: false);
            await AdvanceBy(TimeSpan.FromMilliseconds(200));
            Assert.True(_endpoint.Held, $"released {elapsed} into the handover while the new Master was still binding");
        }

        Hear("lb-2", 100, holdsEndpoint: true);
        await AdvanceUntil(() => !_owner.Held, TimeSpan.FromMilliseconds(2), TimeSpan.FromMilliseconds(100));
        Assert.Equal(("release", "handover"), _endpoint.Calls[^1]);
    }

    [Fact]
    public async Task Release_NewMasterHeardButNeverBinds_ReleasedWithinFourTimeouts()
    {
        await HoldAsync();
        _owner.Want(false);

        var start = _time.GetUtcNow();
        while (_owner.Held)
        {
            Assert.True(_time.GetUtcNow() - start <= (4 * HandoverTimeout) + TimeSpan.FromMilliseconds(300), "still held after four handover timeouts");
            Hear("lb-2", 100, holdsEndpoint: false);
            await AdvanceBy(TimeSpan.FromMilliseconds(100));
        }

        Assert.True(_time.GetUtcNow() - start >= 4 * HandoverTimeout, $"released after {_time.GetUtcNow() - start}");
        Assert.Equal(("release", "immediate"), _endpoint.Calls[^1]);
    }

    [Fact]
    public async Task Release_WantedBackBeforeAPeerHolds_KeepsTheEndpoint()
    {
        await HoldAsync();
        _owner.Want(false);
        await AdvanceBy(TimeSpan.FromMilliseconds(500));

        _owner.Want(true);
        await AdvanceBy(HandoverTimeout);

        Assert.True(_owner.Held);
        Assert.DoesNotContain(_endpoint.Calls, c => c.Call == "release");
    }

    [Fact]
    public async Task CheckShared_OldMasterStillHoldsLongAfterHandover_IsAProblem()
    {
        Hear("lb-2", 100, holdsEndpoint: true);
        _owner.Want(true);
        await WaitUntil(() => _owner.Held);
        Assert.Equal([("acquire", "handover")], _endpoint.Calls);

        // The old Master keeps advertising that it holds the endpoint: it does not hear this node.
        for (var elapsed = TimeSpan.Zero; elapsed <= HandoverTimeout + TimeSpan.FromSeconds(1); elapsed += TimeSpan.FromMilliseconds(200))
        {
            _owner.CheckShared();
            Assert.Null(_owner.Problem);
            _time.Advance(TimeSpan.FromMilliseconds(200));
            Hear("lb-2", 100, holdsEndpoint: true);
        }

        _owner.CheckShared();

        Assert.Equal("peer lb-2 still holds the virtual endpoint after a handover", _owner.Problem);
    }

    [Fact]
    public async Task LetGo_NoPeer_ReleasesAfterHandoverTimeoutAndSaysNoHandover()
    {
        await HoldAsync();

        var letGo = _owner.LetGoAsync(CancellationToken.None);
        await AdvanceUntil(() => letGo.IsCompleted, TimeSpan.FromMilliseconds(10), HandoverTimeout + TimeSpan.FromSeconds(1));

        Assert.False(await letGo);
        Assert.False(_endpoint.Held);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _worker.WaitAsync(RealTimeLimit);
        _stop.Dispose();
        _self.Dispose();
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < RealTimeLimit, "the worker did not act");
            await Task.Delay(1);
        }
    }

    private void Hear(string node, byte priority, bool holdsEndpoint, ulong term = 0, VrrpState state = VrrpState.Master) =>
        _self.Machine.ReceiveAdvertisement(new Advertisement(1, node, priority, MachineProbe.Interval, state, 1, 1, priority, holdsEndpoint, term));

    private async Task HoldAsync()
    {
        _owner.Want(true);
        await WaitUntil(() => _owner.Held);
    }

    /// <summary>Moves the fake clock in 10 ms steps, giving the worker real time to run after each.</summary>
    private async Task AdvanceBy(TimeSpan total)
    {
        for (var t = TimeSpan.Zero; t < total; t += TimeSpan.FromMilliseconds(10))
        {
            _time.Advance(TimeSpan.FromMilliseconds(10));
            await Task.Delay(1);
        }
    }

    /// <summary>Moves the fake clock in steps until <paramref name="condition"/> holds; returns the fake time then.</summary>
    private async Task<DateTimeOffset> AdvanceUntil(Func<bool> condition, TimeSpan step, TimeSpan fakeLimit)
    {
        var start = _time.GetUtcNow();
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(_time.GetUtcNow() - start <= fakeLimit, $"not within {fakeLimit} of fake time");
            Assert.True(watch.Elapsed < RealTimeLimit, "the worker did not act");
            _time.Advance(step);
            await Task.Delay(1);
        }

        return _time.GetUtcNow();
    }
}
