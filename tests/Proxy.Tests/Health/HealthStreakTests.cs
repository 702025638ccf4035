using Foobar.Proxy.Health;
using Yarp.ReverseProxy.Model;

namespace Foobar.Proxy.Tests.Health;

public sealed class HealthStreakTests
{
    private const int Rise = 2;
    private const int Fall = 3;

    [Fact]
    public void Record_FirstProbeOfUnknown_TakesResultAsIs()
    {
        Assert.Equal(DestinationHealth.Healthy, new HealthStreak().Record(true, DestinationHealth.Unknown, Rise, Fall));
        Assert.Equal(DestinationHealth.Unhealthy, new HealthStreak().Record(false, DestinationHealth.Unknown, Rise, Fall));
    }

    [Fact]
    public void Record_HealthyFailing_GoesDownOnlyAtFall()
    {
        var streak = new HealthStreak();

        Assert.Equal(DestinationHealth.Healthy, streak.Record(false, DestinationHealth.Healthy, Rise, Fall));
        Assert.Equal(DestinationHealth.Healthy, streak.Record(false, DestinationHealth.Healthy, Rise, Fall));
        Assert.Equal(DestinationHealth.Unhealthy, streak.Record(false, DestinationHealth.Healthy, Rise, Fall));
    }

    [Fact]
    public void Record_UnhealthyPassing_ComesBackOnlyAtRise()
    {
        var streak = new HealthStreak();

        Assert.Equal(DestinationHealth.Unhealthy, streak.Record(true, DestinationHealth.Unhealthy, Rise, Fall));
        Assert.Equal(DestinationHealth.Healthy, streak.Record(true, DestinationHealth.Unhealthy, Rise, Fall));
    }

    [Fact]
    public void Record_FlappingServer_NeverComesBack()
    {
        var streak = new HealthStreak();
        var health = DestinationHealth.Unhealthy;

        for (var i = 0; i < 10; i++)
        {
            health = streak.Record(i % 2 == 0, health, Rise, Fall);
            Assert.Equal(DestinationHealth.Unhealthy, health);
        }
    }

    [Fact]
    public void Record_OneFailureBetweenPasses_ResetsTheFallCount()
    {
        var streak = new HealthStreak();
        var health = DestinationHealth.Healthy;

        foreach (var ok in new[] { false, false, true, false, false, true })
        {
            health = streak.Record(ok, health, Rise, Fall);
        }

        Assert.Equal(DestinationHealth.Healthy, health);
    }
}
