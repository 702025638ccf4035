using Microsoft.Extensions.Logging;

namespace Foobar.LoadBalancer.Election.Listen;

internal sealed partial class ListenVirtualEndpoint
{
    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.ListenersHandedOff, Level = LogLevel.Information, Message = "Handed the public listeners to the new leader: new connections steered to it, accept queue drained in {ElapsedMs} ms, {Left} left queued")]
        public static partial void HandedOff(ILogger logger, double elapsedMs, int left);

        [LoggerMessage(EventId = EventIds.ListenersKeepAliveDrained, Level = LogLevel.Information, Message = "Ended keep-alive before closing the public listeners: {Open} connections were open, {Left} still open after {ElapsedMs} ms")]
        public static partial void KeepAliveDrained(ILogger logger, int open, int left, double elapsedMs);
    }
}
