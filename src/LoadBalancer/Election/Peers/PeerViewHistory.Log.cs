using Microsoft.Extensions.Logging;

namespace Foobar.LoadBalancer.Election.Peers;

internal sealed partial class PeerViewHistory
{
    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.PeerTransition, Level = LogLevel.Warning, Message = "Election peer {Peer}: {From} -> {To} ({Reason})")]
        public static partial void PeerTransition(ILogger logger, string peer, string from, string to, string reason);
    }
}
