using Microsoft.Extensions.Logging;

namespace Foobar.ServiceDefaults;

internal sealed partial class StdinEofWatchdog
{
    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.LauncherGone, Level = LogLevel.Warning, Message = "Standard input closed: the launcher is gone, shutting down")]
        public static partial void ParentGone(ILogger logger);
    }
}
