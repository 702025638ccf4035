using Microsoft.Extensions.Logging;

namespace Foobar.LoadBalancer.Election.Listen;

internal sealed partial class ListenVirtualEndpoint
{
    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.ListenersHandedOff, Level = LogLevel.Information, Message = "Handed the public listeners to the new leader: new connections steered to it, accept queue drained in {ElapsedMs} ms, {Left} left queued")]
        public static partial void HandedOff(ILogger logger, double elapsedMs, int left);
    }
}
