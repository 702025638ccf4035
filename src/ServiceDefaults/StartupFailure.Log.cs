using Microsoft.Extensions.Logging;

namespace Foobar.ServiceDefaults;

public static partial class StartupFailure
{
    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.BadConfiguration, Level = LogLevel.Critical, Message = "Refusing to start, bad configuration: {Reason}")]
        public static partial void BadConfiguration(ILogger logger, string reason);

        [LoggerMessage(EventId = EventIds.CannotListen, Level = LogLevel.Critical, Message = "Cannot listen: {Reason}")]
        public static partial void CannotListen(ILogger logger, string reason);

        [LoggerMessage(EventId = EventIds.HostTerminated, Level = LogLevel.Critical, Message = "Host terminated unexpectedly")]
        public static partial void HostTerminated(ILogger logger, Exception exception);
    }
}
