using Microsoft.Extensions.Logging;

namespace Foobar.LoadBalancer.Election.Health;

internal sealed partial class ElectionHealth
{
    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.ElectionHealthChanged, Level = LogLevel.Warning, Message = "Election health changed: healthy {Healthy} ({Reason}), effective priority {Priority}")]
        public static partial void HealthChanged(ILogger logger, bool healthy, string? reason, int priority);
    }
}
