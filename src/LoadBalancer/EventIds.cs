namespace Foobar.LoadBalancer;

/// <summary>
/// Every event id the load balancer logs with, in one place (as YARP's EventIds), so an id is never reused and
/// the docs can cite them: 50xx the election (stable: docs/election.md names them), 51xx the admin API, 52xx listeners.
/// </summary>
internal static class EventIds
{
    public const int ElectionTransition = 5001;
    public const int ElectionStarted = 5002;
    public const int ElectionPacketDropped = 5003;
    public const int ElectionHealthChanged = 5004;
    public const int EndpointAcquireFailed = 5005;
    public const int EndpointChanged = 5006;
    public const int AdvertisementSendFailed = 5007;
    public const int ElectionDisabled = 5008;
    public const int HandedOver = 5009;
    public const int EndpointReleaseFailed = 5010;
    public const int PeerTransition = 5011;
    public const int ListenersHandedOff = 5012;
    public const int EndpointStillShared = 5013;
    public const int ProcessStalled = 5014;
    public const int VirtualAddressChanged = 5015;
    public const int VirtualAddressFailed = 5016;
    public const int EndpointAcquireAbandoned = 5017;
    public const int ConnectionMigrationNotEnabled = 5018;
    public const int ConnectionMigrationEnabled = 5019;
    public const int WitnessStateChanged = 5020;
    public const int WitnessFenced = 5021;
    public const int WitnessAdmittedWithout = 5022;
    public const int WitnessYieldFailed = 5023;
    public const int WitnessCheckFailed = 5024;
    public const int WitnessUnreachableAtStart = 5025;
    public const int KeepAliveDrained = 5026;
    public const int VirtualAddressAnnounced = 5027;
    public const int ListenersKeepAliveDrained = 5050;
    public const int PreemptionDeferred = 5060;
    public const int PreemptionReady = 5061;
    public const int WitnessAnswered = 5062;
    public const int VrrpOpened = 5070;
    public const int VrrpSendFailed = 5071;

    public const int AdminServerStateChanged = 5101;
    public const int AdminActionRefused = 5102;

    public const int SelfSignedCertificateCreated = 5201;
}
