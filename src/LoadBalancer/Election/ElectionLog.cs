using Microsoft.Extensions.Logging;

namespace Foobar.LoadBalancer.Election;

internal static partial class ElectionLog
{
    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "Election {Node}: {From} -> {To} ({Reason}), effective priority {Priority}")]
    public static partial void Transition(this ILogger logger, string node, VrrpState from, VrrpState to, string reason, int priority);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "Election {Node} listening on udp {Bind}, group {GroupId}, priority {Priority}, interval {Interval}, peers {Peers}")]
    public static partial void Started(this ILogger logger, string node, string bind, int groupId, int priority, TimeSpan interval, string peers);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Debug, Message = "Dropped an election datagram from {Remote}: {Reason}")]
    public static partial void Dropped(this ILogger logger, string remote, PacketDropReason reason);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Warning, Message = "Election health changed: healthy {Healthy} ({Reason}), effective priority {Priority}")]
    public static partial void HealthChanged(this ILogger logger, bool healthy, string? reason, int priority);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Warning, Message = "Cannot take the virtual endpoint yet: {Reason}")]
    public static partial void AcquireFailed(this ILogger logger, string reason);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Information, Message = "Virtual endpoint {Action} in {ElapsedMs} ms")]
    public static partial void EndpointChanged(this ILogger logger, string action, double elapsedMs);

    [LoggerMessage(EventId = 5007, Level = LogLevel.Warning, Message = "Could not send an advertisement to {Peer}: {Reason}")]
    public static partial void SendFailed(this ILogger logger, string peer, string reason);

    [LoggerMessage(EventId = 5008, Level = LogLevel.Warning, Message = "Election disabled: this node owns the virtual endpoint alone")]
    public static partial void Disabled(this ILogger logger);

    [LoggerMessage(EventId = 5009, Level = LogLevel.Warning, Message = "Handing over: sent priority 0, {Outcome} after {ElapsedMs} ms")]
    public static partial void HandedOver(this ILogger logger, string outcome, double elapsedMs);

    [LoggerMessage(EventId = 5010, Level = LogLevel.Error, Message = "Releasing the virtual endpoint failed")]
    public static partial void ReleaseFailed(this ILogger logger, Exception exception);

    [LoggerMessage(EventId = 5011, Level = LogLevel.Warning, Message = "Election peer {Peer}: {From} -> {To} ({Reason})")]
    public static partial void PeerTransition(this ILogger logger, string peer, string from, string to, string reason);

    [LoggerMessage(EventId = 5012, Level = LogLevel.Information, Message = "Handed the public listeners to the new leader: new connections steered to it, accept queue drained in {ElapsedMs} ms, {Left} left queued")]
    public static partial void HandedOff(this ILogger logger, double elapsedMs, int left);

    [LoggerMessage(EventId = 5013, Level = LogLevel.Warning, Message = "Peer {Peer} still holds the virtual endpoint {ElapsedMs} ms after this node took it over; counting it as an endpoint problem")]
    public static partial void StillShared(this ILogger logger, string peer, double elapsedMs);

    [LoggerMessage(EventId = 5014, Message = "This process did not run for {GapMs} ms (state {State}; a master steps down after {LimitMs} ms)")]
    public static partial void Stalled(this ILogger logger, LogLevel level, double gapMs, VrrpState state, double limitMs);

    [LoggerMessage(EventId = 5015, Level = LogLevel.Warning, Message = "Virtual address {Address} {Action} on {Interface}")]
    public static partial void AddressChanged(this ILogger logger, string action, string address, string @interface);

    [LoggerMessage(EventId = 5016, Level = LogLevel.Warning, Message = "Virtual address: {Reason}")]
    public static partial void AcquireFailedAddress(this ILogger logger, string reason);
}
