using Microsoft.AspNetCore.Http;

namespace Foobar.ServiceDefaults;

/// <summary>
/// The operator's listener of this process, in every tier: the web and app servers' management listener
/// (<c>Management:Url</c>: /metrics, /internal/*), the load balancer's admin listener (<c>Admin:Url</c>: /status, the
/// dashboard, actions, /metrics). Whether a request is the operator's is decided here and only here, by the port the
/// connection arrived on, never by the Host header, which the client writes.
/// </summary>
public sealed class ManagementPort(int? port)
{
    /// <summary>Null when the process has no separate operator listener.</summary>
    public int? Port => port;

    public bool IsManagement(HttpContext context) => port is { } p && context.Connection.LocalPort == p;
}
