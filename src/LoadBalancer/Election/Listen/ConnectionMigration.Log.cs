using Microsoft.Extensions.Logging;

namespace Foobar.LoadBalancer.Election.Listen;

internal static partial class ConnectionMigration
{
    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.ConnectionMigrationEnabled, Level = LogLevel.Information, Message = "Turned on {Setting}: connections queued on a closing listener move to the other load balancer instead of being reset")]
        public static partial void Enabled(ILogger logger, string setting);

        [LoggerMessage(EventId = EventIds.ConnectionMigrationNotEnabled, Level = LogLevel.Warning, Message = "Cannot turn on {Setting} ({Reason}): a handover may reset connections still queued on the outgoing listener; set it to 1 in this network namespace")]
        public static partial void NotEnabled(ILogger logger, string setting, string reason);
    }
}
