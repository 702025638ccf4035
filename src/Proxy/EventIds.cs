namespace Foobar.Proxy;

/// <summary>
/// Every event id the shared proxy logs with, in one place (as YARP's EventIds), so an id is never reused: 40xx in the
/// web tier's and the load balancer's logs alike (the app server's are 3xxx, the load balancer's own 5xxx).
/// </summary>
internal static class EventIds
{
    public const int Retrying = 4001;
    public const int NoDestinationAvailable = 4002;
    public const int ActiveHealthChanged = 4003;
    public const int PassivelyDown = 4004;
    public const int PassiveEjectionCapped = 4005;
    public const int ClusterReloaded = 4006;
    public const int ClusterReloadRejected = 4007;
    public const int DestinationResolutionFailed = 4008;
}
