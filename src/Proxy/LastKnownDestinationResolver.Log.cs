using Microsoft.Extensions.Logging;

namespace Foobar.Proxy;

internal sealed partial class LastKnownDestinationResolver
{
    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.DestinationResolutionFailed, Level = LogLevel.Warning, Message = "Could not resolve {Address} ({Error}): keeping the {Kept} addresses it last resolved to, asking again in {Retry}")]
        public static partial void ResolutionFailed(ILogger logger, string address, string error, int kept, TimeSpan retry);
    }
}
