namespace Foobar.AppServer.Database;

internal sealed partial class DatabaseUnavailableExceptionHandler
{
    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.DatabaseUnavailable, Level = LogLevel.Warning, Message = "Database unavailable, answering 503: {Reason}")]
        public static partial void DatabaseUnavailable(ILogger logger, string reason);
    }
}
