using Microsoft.Extensions.Logging;

namespace Foobar.Proxy.Health;

internal sealed partial class ErrorLimitHealthPolicy
{
    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.PassivelyDown, Level = LogLevel.Warning, Message = "Destination {Destination} of cluster {Cluster} failed {Failures} forwarded requests in a row; out for {Period}")]
        public static partial void PassivelyDown(ILogger logger, string destination, string cluster, int failures, TimeSpan period);

        [LoggerMessage(EventId = EventIds.PassiveEjectionCapped, Level = LogLevel.Warning, Message = "Destination {Destination} of cluster {Cluster} failed {Failures} forwarded requests in a row but stays in: passive checks already hold {Ejected} of at most {Allowed} out")]
        public static partial void PassiveEjectionCapped(ILogger logger, string destination, string cluster, int failures, int ejected, int allowed);
    }
}
