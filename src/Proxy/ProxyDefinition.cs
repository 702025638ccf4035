using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Configuration;

namespace Foobar.Proxy;

/// <summary>
/// What a host decides in code about its one upstream cluster: its name, the configuration section
/// with its <see cref="ProxyClusterOptions"/>, which requests it takes, and which may be re-sent after a failure.
/// </summary>
public sealed record ProxyDefinition
{
    /// <summary>YARP cluster id, also the <c>cluster</c> tag on metrics, e.g. <c>app</c> or <c>web</c>.</summary>
    public required string ClusterId { get; init; }

    /// <summary>Configuration section bound to <see cref="ProxyClusterOptions"/>, e.g. <c>AppServers</c>.</summary>
    public required string Section { get; init; }

    /// <summary>Which requests go to the cluster, e.g. <c>new RouteMatch { Path = "/api/{**rest}" }</c>, or by Hosts.</summary>
    public required RouteMatch Match { get; init; }

    /// <summary>
    /// Whether a request that reached an upstream which then failed before answering may be sent again.
    /// A request that never reached one (connection refused or timed out) is always re-sent: nothing can have happened.
    /// </summary>
    public Func<HttpRequest, bool> RetryWhen { get; init; } = RetryPredicates.SafeMethods;
}
