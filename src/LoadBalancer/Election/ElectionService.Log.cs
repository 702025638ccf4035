using Foobar.LoadBalancer.Election.Protocol;
using Microsoft.Extensions.Logging;

namespace Foobar.LoadBalancer.Election;

internal sealed partial class ElectionService
{
    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.ElectionTransition, Level = LogLevel.Warning, Message = "Election {Node}: {From} -> {To} ({Reason}), effective priority {Priority}")]
        public static partial void Transition(ILogger logger, string node, VrrpState from, VrrpState to, string reason, int priority);

        [LoggerMessage(EventId = EventIds.HandedOver, Level = LogLevel.Warning, Message = "Handing over: sent priority 0, {Outcome} after {ElapsedMs} ms")]
        public static partial void HandedOver(ILogger logger, string outcome, double elapsedMs);

        [LoggerMessage(EventId = EventIds.ProcessStalled, Message = "This process did not run for {GapMs} ms (state {State}; a master steps down after {LimitMs} ms)")]
        public static partial void Stalled(ILogger logger, LogLevel level, double gapMs, VrrpState state, double limitMs);
    }
}
