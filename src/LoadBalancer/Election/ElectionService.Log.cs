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

        [LoggerMessage(EventId = EventIds.PreemptionDeferred, Level = LogLevel.Warning, Message = "Deferring to a lower-priority master {ElapsedMs} ms after the election started: {Reason}")]
        public static partial void PreemptionDeferred(ILogger logger, double elapsedMs, string reason);

        [LoggerMessage(EventId = EventIds.PreemptionReady, Level = LogLevel.Warning, Message = "Ready to preempt {ElapsedMs} ms after the election started (deferred since {DeferredMs} ms after it)")]
        public static partial void PreemptionReady(ILogger logger, double elapsedMs, double deferredMs);

        [LoggerMessage(EventId = EventIds.ProcessStalled, Message = "This process did not run for {GapMs} ms (state {State}; a master steps down after {LimitMs} ms)")]
        public static partial void Stalled(ILogger logger, LogLevel level, double gapMs, VrrpState state, double limitMs);
    }
}
