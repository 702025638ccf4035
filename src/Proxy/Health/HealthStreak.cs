using Yarp.ReverseProxy.Model;

namespace Foobar.Proxy.Health;

/// <summary>
/// One destination's run of probe results and the HAProxy rise/fall rule over it: a destination that is up
/// goes down after <c>fall</c> failures in a row, one that is down comes back after <c>rise</c> passes in a row.
/// A destination never probed yet (Unknown) takes the first result as it is, so a dead server found at
/// start-up is out after one probe instead of three.
/// </summary>
internal sealed class HealthStreak
{
    private readonly Lock _lock = new();

    public int Successes { get; private set; }

    public int Failures { get; private set; }

    public DestinationHealth Record(bool success, DestinationHealth current, int rise, int fall)
    {
        lock (_lock)
        {
            if (success)
            {
                Successes++;
                Failures = 0;
                return current switch
                {
                    DestinationHealth.Unknown => DestinationHealth.Healthy,
                    DestinationHealth.Unhealthy when Successes >= rise => DestinationHealth.Healthy,
                    _ => current,
                };
            }

            Failures++;
            Successes = 0;
            return current switch
            {
                DestinationHealth.Unknown => DestinationHealth.Unhealthy,
                DestinationHealth.Healthy when Failures >= fall => DestinationHealth.Unhealthy,
                _ => current,
            };
        }
    }
}
