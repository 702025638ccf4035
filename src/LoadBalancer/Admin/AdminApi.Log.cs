namespace Foobar.LoadBalancer.Admin;

internal static partial class AdminApi
{
    /// <summary>The admin API's log category. Admin actions are rare and consequential: each one is logged with who asked.</summary>
    internal sealed partial class Log
    {
        private Log()
        {
        }

        [LoggerMessage(EventId = EventIds.AdminServerStateChanged, Level = LogLevel.Warning, Message = "Web server {Server} set to {State} through the admin API by {ClientIp}")]
        public static partial void StateChanged(ILogger logger, string server, string state, string? clientIp);

        [LoggerMessage(EventId = EventIds.AdminActionRefused, Level = LogLevel.Warning, Message = "Refused admin action {Path} from {ClientIp}: missing or wrong bearer token")]
        public static partial void Refused(ILogger logger, string path, string? clientIp);
    }
}
