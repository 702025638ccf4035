using Microsoft.Extensions.Logging;

namespace Foobar.LoadBalancer.Election.Witness;

internal sealed partial class LeaseWitness
{
    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.WitnessStateChanged, Level = LogLevel.Warning, Message = "Witness lease: {From} -> {To} ({Reason}); lease holder {Holder}, term {Term}, last error {Error}")]
        public static partial void StateChanged(ILogger logger, WitnessState from, WitnessState to, string reason, string? holder, ulong term, string? error);

        [LoggerMessage(EventId = EventIds.WitnessFenced, Level = LogLevel.Error, Message = "Fencing: letting go of the virtual endpoint at once because {Reason}")]
        public static partial void Fenced(ILogger logger, string reason);

        [LoggerMessage(EventId = EventIds.WitnessAdmittedWithout, Level = LogLevel.Warning, Message = "Taking the endpoint in a handover without the witness ({Error}): the outgoing holder's cooperation is the second vote")]
        public static partial void AdmittedWithoutWitness(ILogger logger, string? error);

        [LoggerMessage(EventId = EventIds.WitnessYieldFailed, Level = LogLevel.Warning, Message = "Could not give the witness lease back ({Error}); it runs out on its own")]
        public static partial void YieldFailed(ILogger logger, string error);

        [LoggerMessage(EventId = EventIds.WitnessUnreachableAtStart, Level = LogLevel.Warning, Message = "The witness did not answer at start ({Error}); this node cannot take the endpoint over until it does")]
        public static partial void WarmUpFailed(ILogger logger, string error);

        [LoggerMessage(EventId = EventIds.WitnessAnswered, Level = LogLevel.Information, Message = "The witness answered {ElapsedMs} ms after start (first connection open)")]
        public static partial void Answered(ILogger logger, double elapsedMs);

        [LoggerMessage(EventId = EventIds.WitnessCheckFailed, Level = LogLevel.Error, Message = "The witness check or renewal failed")]
        public static partial void CheckFailed(ILogger logger, Exception exception);
    }
}
