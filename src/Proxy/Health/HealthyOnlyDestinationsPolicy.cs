using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Foobar.Proxy.Health;

/// <summary>
/// Routes to destinations that no check has found dead and no operator has drained. Never "panics": YARP's
/// default HealthyOrPanic sends traffic to every destination once all are unhealthy, which turns an outage
/// into slow failures; here an empty list makes the request an immediate 503.
/// </summary>
internal sealed class HealthyOnlyDestinationsPolicy(DrainedDestinations drained) : IAvailableDestinationsPolicy
{
    public const string PolicyName = "HealthyOnly";

    public string Name => PolicyName;

    public IReadOnlyList<DestinationState> GetAvailalableDestinations(ClusterConfig config, IReadOnlyList<DestinationState> allDestinations)
    {
        var available = new List<DestinationState>(allDestinations.Count);
        foreach (var destination in allDestinations)
        {
            if (IsUsable(destination) && !drained.Contains(destination.DestinationId))
            {
                available.Add(destination);
            }
        }

        return available;
    }

    public static bool IsUsable(DestinationState destination) =>
        destination.Health.Active != DestinationHealth.Unhealthy && destination.Health.Passive != DestinationHealth.Unhealthy;
}
