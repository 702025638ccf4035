namespace Foobar.AppServer;

/// <summary>Every event id the app server logs with, in one place (as YARP's EventIds), so an id is never reused.</summary>
internal static class EventIds
{
    public const int DatabaseUnavailable = 3001;
    public const int SchemaCurrent = 3101;
    public const int MigrationWaitingForDatabase = 3102;
    public const int MigrationFailed = 3103;
}
