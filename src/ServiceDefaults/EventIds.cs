namespace Foobar.ServiceDefaults;

/// <summary>
/// Every event id the shared service start-up logs with, in one place (as YARP's EventIds), so an id is never reused:
/// 10xx, in every tier's log (the proxy's are 40xx, the app server's 3xxx, the load balancer's 5xxx).
/// </summary>
internal static class EventIds
{
    public const int BadConfiguration = 1001;
    public const int CannotListen = 1002;
    public const int HostTerminated = 1003;
    public const int LauncherGone = 1004;
}
