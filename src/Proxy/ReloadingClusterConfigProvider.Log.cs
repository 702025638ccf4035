using Microsoft.Extensions.Logging;

namespace Foobar.Proxy;

internal sealed partial class ReloadingClusterConfigProvider
{
    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.ClusterReloaded, Level = LogLevel.Warning, Message = "Cluster {Cluster} reloaded from configuration: destinations {Destinations}")]
        public static partial void Reloaded(ILogger logger, string cluster, string destinations);

        [LoggerMessage(EventId = EventIds.ClusterReloadRejected, Level = LogLevel.Error, Message = "Ignoring a configuration change to {Section}, the running cluster stays as it was: {Reason}")]
        public static partial void Rejected(ILogger logger, string section, string reason);
    }
}
