using Microsoft.Extensions.Logging;

namespace Foobar.Proxy.Health;

internal sealed partial class RiseFallHealthPolicy
{
    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.ActiveHealthChanged, Level = LogLevel.Warning, Message = "Destination {Destination} of cluster {Cluster} is now {Health} ({Check} check: {Successes} passes, {Failures} failures in a row)")]
        public static partial void HealthChanged(ILogger logger, string destination, string cluster, string health, string check, int successes, int failures);
    }
}
