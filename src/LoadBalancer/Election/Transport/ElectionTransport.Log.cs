using Microsoft.Extensions.Logging;

namespace Foobar.LoadBalancer.Election.Transport;

internal sealed partial class ElectionTransport
{
    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.ElectionStarted, Level = LogLevel.Information, Message = "Election {Node} listening on udp {Bind}, group {GroupId}, priority {Priority}, interval {Interval}, peers {Peers}")]
        public static partial void Started(ILogger logger, string node, string bind, int groupId, int priority, TimeSpan interval, string peers);

        [LoggerMessage(EventId = EventIds.ElectionPacketDropped, Level = LogLevel.Debug, Message = "Dropped an election datagram from {Remote}: {Reason}")]
        public static partial void Dropped(ILogger logger, string remote, PacketDropReason reason);

        [LoggerMessage(EventId = EventIds.AdvertisementSendFailed, Level = LogLevel.Warning, Message = "Could not send an advertisement to {Peer}: {Reason}")]
        public static partial void SendFailed(ILogger logger, string peer, string reason);
    }
}
