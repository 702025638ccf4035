using Microsoft.Extensions.Logging;

namespace Foobar.LoadBalancer.Election.Endpoint;

internal sealed partial class EndpointOwner
{
    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.EndpointAcquireFailed, Level = LogLevel.Warning, Message = "Cannot take the virtual endpoint yet: {Reason}")]
        public static partial void AcquireFailed(ILogger logger, string reason);

        [LoggerMessage(EventId = EventIds.EndpointAcquireAbandoned, Level = LogLevel.Warning, Message = "Abandoned taking the virtual endpoint after {ElapsedMs} ms: this node no longer leads")]
        public static partial void AcquireAbandoned(ILogger logger, double elapsedMs);

        [LoggerMessage(EventId = EventIds.EndpointChanged, Level = LogLevel.Information, Message = "Virtual endpoint {Action} in {ElapsedMs} ms")]
        public static partial void EndpointChanged(ILogger logger, string action, double elapsedMs);

        [LoggerMessage(EventId = EventIds.EndpointReleaseFailed, Level = LogLevel.Error, Message = "Releasing the virtual endpoint failed")]
        public static partial void ReleaseFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = EventIds.EndpointStillShared, Level = LogLevel.Warning, Message = "Peer {Peer} still holds the virtual endpoint {ElapsedMs} ms after this node took it over; counting it as an endpoint problem")]
        public static partial void StillShared(ILogger logger, string peer, double elapsedMs);
    }
}
