using Microsoft.Extensions.Logging;

namespace Foobar.LoadBalancer.Election;

internal sealed partial class SingleNodeElection
{
    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.ElectionDisabled, Level = LogLevel.Warning, Message = "Election disabled: this node owns the virtual endpoint alone")]
        public static partial void Disabled(ILogger logger);

        [LoggerMessage(EventId = EventIds.ElectionHealthChanged, Level = LogLevel.Warning, Message = "Election health changed: healthy {Healthy} ({Reason}), effective priority {Priority}")]
        public static partial void HealthChanged(ILogger logger, bool healthy, string? reason, int priority);
    }
}
