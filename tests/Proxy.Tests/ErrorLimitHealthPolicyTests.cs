using Foobar.Proxy;
using Foobar.Proxy.Health;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Foobar.Proxy.Tests;

public sealed class ErrorLimitHealthPolicyTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly HealthUpdater _updater = new();

    [Fact]
    public void RequestProxied_FailuresBelowLimit_StaysIn()
    {
        var (policy, cluster, destinations) = Create(destinationCount: 2, errorLimit: 3);

        Fail(policy, cluster, destinations[0], times: 2);

        Assert.NotEqual(DestinationHealth.Unhealthy, destinations[0].Health.Passive);
    }

    [Fact]
    public void RequestProxied_LimitReachedInARow_TakenOut()
    {
        var (policy, cluster, destinations) = Create(destinationCount: 2, errorLimit: 3);

        Fail(policy, cluster, destinations[0], times: 3);

        Assert.Equal(DestinationHealth.Unhealthy, destinations[0].Health.Passive);
        Assert.Equal(TimeSpan.FromSeconds(10), _updater.LastPeriod);
    }

    [Fact]
    public void RequestProxied_AnswerBetweenFailures_StaysIn()
    {
        var (policy, cluster, destinations) = Create(destinationCount: 2, errorLimit: 3);

        Fail(policy, cluster, destinations[0], times: 2);
        policy.RequestProxied(ForwarderErrorFeatures.Get(null), cluster, destinations[0]);
        Fail(policy, cluster, destinations[0], times: 2);

        Assert.NotEqual(DestinationHealth.Unhealthy, destinations[0].Health.Passive);
    }

    [Fact]
    public void RequestProxied_FailuresSpreadBeyondWindow_StaysIn()
    {
        var (policy, cluster, destinations) = Create(destinationCount: 2, errorLimit: 3);

        for (var i = 0; i < 5; i++)
        {
            Fail(policy, cluster, destinations[0], times: 1);
            _time.Advance(TimeSpan.FromSeconds(6));
        }

        Assert.NotEqual(DestinationHealth.Unhealthy, destinations[0].Health.Passive);
    }

    [Fact]
    public void RequestProxied_ClientErrors_NeverCount()
    {
        var (policy, cluster, destinations) = Create(destinationCount: 2, errorLimit: 1);

        foreach (var error in new[] { ForwarderError.RequestBodyClient, ForwarderError.RequestBodyDestination, ForwarderError.RequestCanceled, ForwarderError.ResponseBodyClient })
        {
            policy.RequestProxied(ForwarderErrorFeatures.Get(error), cluster, destinations[0]);
        }

        policy.RequestProxied(ForwarderErrorFeatures.Post(ForwarderError.Request, new HttpRequestException("Error while copying content to a stream.")), cluster, destinations[0]);

        Assert.NotEqual(DestinationHealth.Unhealthy, destinations[0].Health.Passive);
        Assert.Equal(0, _updater.Calls);
    }

    [Fact]
    public void RequestProxied_EveryDestinationFailing_AtMostHalfTakenOut()
    {
        var (policy, cluster, destinations) = Create(destinationCount: 2, errorLimit: 1);

        Fail(policy, cluster, destinations[0], times: 1);
        Fail(policy, cluster, destinations[1], times: 5);

        Assert.Equal(DestinationHealth.Unhealthy, destinations[0].Health.Passive);
        Assert.NotEqual(DestinationHealth.Unhealthy, destinations[1].Health.Passive);
    }

    [Fact]
    public void RequestProxied_EjectedOneReactivated_BudgetFreesUp()
    {
        var (policy, cluster, destinations) = Create(destinationCount: 2, errorLimit: 1);
        Fail(policy, cluster, destinations[0], times: 1);

        // What YARP does when the reactivation period is over.
        destinations[0].Health.Passive = DestinationHealth.Unknown;
        Fail(policy, cluster, destinations[1], times: 1);

        Assert.Equal(DestinationHealth.Unhealthy, destinations[1].Health.Passive);
    }

    private static void Fail(ErrorLimitHealthPolicy policy, ClusterState cluster, DestinationState destination, int times)
    {
        for (var i = 0; i < times; i++)
        {
            policy.RequestProxied(ForwarderErrorFeatures.Get(ForwarderError.Request), cluster, destination);
        }
    }

    private (ErrorLimitHealthPolicy Policy, ClusterState Cluster, DestinationState[] Destinations) Create(int destinationCount, int errorLimit)
    {
        var destinations = Enumerable.Range(1, destinationCount).Select(i => new DestinationState($"d{i}")).ToArray();
        var cluster = new ClusterState("c") { DestinationsState = new ClusterDestinationsState(destinations, destinations) };
        var options = Options.Create(new ProxyClusterOptions
        {
            Destinations = ["http://127.0.0.1:1"],
            HealthCheck = new HealthCheckSettings { PassiveErrorLimit = errorLimit, PassiveErrorWindow = TimeSpan.FromSeconds(10), PassiveReactivation = TimeSpan.FromSeconds(10) },
        });
        using var meters = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var metrics = new ProxyMetrics(meters.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        return (new ErrorLimitHealthPolicy(_updater, options, _time, metrics, NullLogger<ErrorLimitHealthPolicy>.Instance), cluster, destinations);
    }

    /// <summary>Does to the destination what YARP's updater does synchronously: sets the passive health.</summary>
    private sealed class HealthUpdater : IDestinationHealthUpdater
    {
        public int Calls { get; private set; }

        public TimeSpan LastPeriod { get; private set; }

        public void SetActive(ClusterState cluster, IEnumerable<NewActiveDestinationHealth> newHealthStates)
        {
        }

        public void SetPassive(ClusterState cluster, DestinationState destination, DestinationHealth newHealth, TimeSpan reactivationPeriod)
        {
            Calls++;
            LastPeriod = reactivationPeriod;
            destination.Health.Passive = newHealth;
        }
    }
}
