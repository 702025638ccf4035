using Microsoft.Extensions.Logging;

namespace Foobar.LoadBalancer.Election.Address;

internal sealed partial class AddressVirtualEndpoint
{
    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.VirtualAddressChanged, Level = LogLevel.Warning, Message = "Virtual address {Address} {Action} on {Interface}")]
        public static partial void AddressChanged(ILogger logger, string action, string address, string @interface);

        [LoggerMessage(EventId = EventIds.VirtualAddressFailed, Level = LogLevel.Warning, Message = "Virtual address: {Reason}")]
        public static partial void Failed(ILogger logger, string reason);

        [LoggerMessage(EventId = EventIds.VirtualAddressAnnounced, Level = LogLevel.Warning, Message = "Virtual address {Address} announced {ElapsedMs} ms after it was added, once the outgoing holder let go")]
        public static partial void Announced(ILogger logger, string address, double elapsedMs);

        [LoggerMessage(EventId = EventIds.KeepAliveDrained, Level = LogLevel.Information, Message = "Ended keep-alive before handing the address over: {Open} connections were open, {Left} still open after {ElapsedMs} ms")]
        public static partial void Drained(ILogger logger, int open, int left, double elapsedMs);
    }
}
