using System.Net.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;

namespace Foobar.Proxy;

/// <summary>YARP's client with a short connect timeout, so a vanished host (no RST, just silence) fails fast and is retried elsewhere.</summary>
internal sealed class UpstreamHttpClientFactory(IOptions<ProxyClusterOptions> options, ILogger<ForwarderHttpClientFactory> logger)
    : ForwarderHttpClientFactory(logger)
{
    protected override void ConfigureHandler(ForwarderHttpClientContext context, SocketsHttpHandler handler)
    {
        base.ConfigureHandler(context, handler);
        handler.ConnectTimeout = options.Value.ConnectTimeout;
    }
}
