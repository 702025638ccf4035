namespace Foobar.LoadBalancer.Admin;

/// <summary>Admin actions are rare and consequential: each one is logged with who asked.</summary>
internal sealed partial class AdminLog
{
    private AdminLog()
    {
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Web server {Server} set to {State} through the admin API by {ClientIp}")]
    public static partial void StateChanged(ILogger logger, string server, string state, string? clientIp);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused admin action {Path} from {ClientIp}: missing or wrong bearer token")]
    public static partial void Refused(ILogger logger, string path, string? clientIp);
}
