using Microsoft.Extensions.Logging;

namespace Foobar.Proxy.Retry;

internal sealed partial class ProxyRetryMiddleware
{
    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.Retrying, Level = LogLevel.Warning, Message = "Re-sending {Method} {Path} after destination {Destination} of cluster {Cluster} failed before answering ({Reason})")]
        public static partial void Retrying(ILogger logger, string method, string path, string destination, string cluster, string reason);

        [LoggerMessage(EventId = EventIds.NoDestinationAvailable, Level = LogLevel.Warning, Message = "No destination of cluster {Cluster} is available for {Method} {Path}: answering 503")]
        public static partial void Unavailable(ILogger logger, string cluster, string method, string path);
    }
}
