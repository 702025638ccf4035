namespace Foobar.AppServer.Database;

internal sealed partial class DatabaseTopologyMonitor
{
    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.DatabasePrimaryChanged, Level = LogLevel.Warning, Message = "The database primary changed from {Before} to {After} (failover or switchover)")]
        public static partial void PrimaryChanged(ILogger logger, string before, string after);
    }
}
