namespace Foobar.AppServer.Database;

internal static partial class MigrateCommand
{
    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.SchemaCurrent, Level = LogLevel.Information, Message = "Schema is current; applied {Count} migration(s): {Migrations}")]
        public static partial void SchemaCurrent(ILogger logger, int count, IReadOnlyList<string> migrations);

        [LoggerMessage(EventId = EventIds.MigrationWaitingForDatabase, Level = LogLevel.Warning, Message = "Database not reachable yet ({Reason}); retrying")]
        public static partial void WaitingForDatabase(ILogger logger, string reason);

        [LoggerMessage(EventId = EventIds.MigrationFailed, Level = LogLevel.Critical, Message = "Migration failed: {Reason}")]
        public static partial void Failed(ILogger logger, string reason);
    }
}
