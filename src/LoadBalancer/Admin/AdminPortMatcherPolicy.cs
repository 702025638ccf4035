using Foobar.ServiceDefaults;
using Microsoft.AspNetCore.Routing.Matching;

namespace Foobar.LoadBalancer.Admin;

/// <summary>
/// Splits routing by the port a connection arrived on, never by the Host header (which the client writes): admin
/// endpoints match only on the admin listener, and every other endpoint (the proxy's catch-all) only off it. So
/// <c>GET /status</c> on the public port is forwarded to the web servers like any path, and an unknown path on the
/// admin port is a 404 rather than a trip through the proxy.
/// </summary>
internal sealed class AdminPortMatcherPolicy(ManagementPort adminPort) : MatcherPolicy, IEndpointSelectorPolicy
{
    // Before the HTTP method and host policies, so they only see endpoints that belong to this port.
    public override int Order => -1000;

    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints) => endpoints.Count > 0;

    public Task ApplyAsync(HttpContext httpContext, CandidateSet candidates)
    {
        var onAdminPort = adminPort.IsManagement(httpContext);
        for (var i = 0; i < candidates.Count; i++)
        {
            var isAdmin = candidates[i].Endpoint.Metadata.GetMetadata<AdminEndpointMetadata>() is not null;
            if (isAdmin != onAdminPort)
            {
                candidates.SetValidity(i, false);
            }
        }

        return Task.CompletedTask;
    }
}
