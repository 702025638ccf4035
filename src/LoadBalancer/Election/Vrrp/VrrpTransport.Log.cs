using Microsoft.Extensions.Logging;

namespace Foobar.LoadBalancer.Election.Vrrp;

internal sealed partial class VrrpTransport
{
    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.VrrpOpened, Level = LogLevel.Information, Message = "VRRPv3 on {Interface} from {Source}, router ID {RouterId}, virtual address {Address}: unauthenticated, as RFC 5798 is")]
        public static partial void Opened(ILogger logger, string @interface, string source, int routerId, string address);

        [LoggerMessage(EventId = EventIds.VrrpSendFailed, Level = LogLevel.Warning, Message = "VRRPv3 advertisement not sent: {Error}")]
        public static partial void SendFailed(ILogger logger, string error);
    }
}
