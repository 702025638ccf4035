using Microsoft.Extensions.Logging;

namespace Foobar.Proxy;

internal static partial class ProxyLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Re-sending {Method} {Path} after destination {Destination} of cluster {Cluster} failed before answering ({Reason})")]
    public static partial void Retrying(ILogger logger, string method, string path, string destination, string cluster, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No destination of cluster {Cluster} is available for {Method} {Path}: answering 503")]
    public static partial void Unavailable(ILogger logger, string cluster, string method, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Destination {Destination} of cluster {Cluster} is now {Health} ({Check} check: {Successes} passes, {Failures} failures in a row)")]
    public static partial void HealthChanged(ILogger logger, string destination, string cluster, string health, string check, int successes, int failures);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Destination {Destination} of cluster {Cluster} failed {Failures} forwarded requests in a row; out for {Period}")]
    public static partial void PassivelyDown(ILogger logger, string destination, string cluster, int failures, TimeSpan period);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Destination {Destination} of cluster {Cluster} failed {Failures} forwarded requests in a row but stays in: passive checks already hold {Ejected} of at most {Allowed} out")]
    public static partial void PassiveEjectionCapped(ILogger logger, string destination, string cluster, int failures, int ejected, int allowed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not resolve {Address} ({Error}): keeping the {Kept} addresses it last resolved to, asking again in {Retry}")]
    public static partial void ResolutionFailed(ILogger logger, string address, string error, int kept, TimeSpan retry);
}
