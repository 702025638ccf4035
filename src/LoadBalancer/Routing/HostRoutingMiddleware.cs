using System.Collections.Frozen;
using Foobar.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace Foobar.LoadBalancer.Routing;

/// <summary>
/// Routing by Host on the public listeners: served hosts go on to the proxy, the bare domain is sent to www with a 301
/// (path and query kept), anything else gets 421 Misdirected Request (RFC 9110 15.5.20: this server will not produce
/// an authoritative answer for that host), with a short page saying which hosts are served. Runs before routing so the
/// proxy never sees a foreign host.
/// </summary>
internal sealed class HostRoutingMiddleware
{
    private readonly RequestDelegate _next;
    private readonly ManagementPort _adminPort;
    private readonly FrozenSet<string> _hosts;
    private readonly FrozenSet<string> _redirectHosts;
    private readonly string _canonicalHost;
    private readonly byte[] _misdirectedBody;

    public HostRoutingMiddleware(RequestDelegate next, IOptions<RoutingOptions> options, ManagementPort adminPort)
    {
        _next = next;
        _adminPort = adminPort;
        _hosts = options.Value.Hosts.ToFrozenSet(StringComparer.OrdinalIgnoreCase);
        _redirectHosts = options.Value.RedirectHosts.ToFrozenSet(StringComparer.OrdinalIgnoreCase);
        _canonicalHost = options.Value.CanonicalHost;
        _misdirectedBody = System.Text.Encoding.UTF8.GetBytes(
            $"421 Misdirected Request: this load balancer serves {string.Join(", ", options.Value.Hosts)}; use one of those host names.\n");
    }

    public Task InvokeAsync(HttpContext context)
    {
        if (_adminPort.IsManagement(context))
        {
            return _next(context);
        }

        var host = context.Request.Host;
        if (_hosts.Contains(host.Host))
        {
            return _next(context);
        }

        if (_redirectHosts.Contains(host.Host))
        {
            var request = context.Request;
            var target = host.Port is { } port ? new HostString(_canonicalHost, port) : new HostString(_canonicalHost);
            var location = $"{request.Scheme}://{target.Value}{request.PathBase}{request.Path}{request.QueryString}";
            context.Response.StatusCode = StatusCodes.Status301MovedPermanently;
            context.Response.Headers.Location = location;
            return Task.CompletedTask;
        }

        context.Response.StatusCode = StatusCodes.Status421MisdirectedRequest;
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.ContentLength = _misdirectedBody.Length;
        return context.Response.Body.WriteAsync(_misdirectedBody).AsTask();
    }
}
