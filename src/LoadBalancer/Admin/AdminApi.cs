using System.Security.Cryptography;
using System.Text;
using Foobar.LoadBalancer.Election;
using Foobar.LoadBalancer.Listeners;
using Foobar.LoadBalancer.WebCluster;
using Foobar.Proxy;
using Foobar.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Foobar.LoadBalancer.Admin;

/// <summary>
/// The admin listener (after HAProxy's stats page and <c>set server state</c>): <c>GET /</c> dashboard, <c>GET /status</c>,
/// <c>GET /metrics</c>, health, and the bearer-token actions <c>POST /servers/{name}/drain</c> and <c>/ready</c>.
/// </summary>
internal static partial class AdminApi
{
    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder endpoints)
    {
        var admin = endpoints.MapGroup("").WithMetadata(AdminEndpointMetadata.Instance);
        admin.MapDefaultEndpoints();
        admin.MapGet("/", Dashboard.Page);
        admin.MapGet("/dashboard.js", Dashboard.Script);
        admin.MapGet("/status", GetStatus);
        admin.MapPost("/servers/{name}/drain", Drain);
        admin.MapPost("/servers/{name}/ready", Ready);
        return endpoints;
    }

    private static Ok<StatusResponse> GetStatus(
        IOptions<NodeOptions> node,
        ProxyCluster cluster,
        WebServerStatistics statistics,
        NodeClock clock,
        IServiceProvider services)
    {
        var servers = cluster.Destinations().Select(d => ToStatus(d, statistics.For(d.Id))).ToList();
        return TypedResults.Ok(new StatusResponse
        {
            Node = node.Value.Name,
            StartedAt = clock.StartedAt,
            UptimeSeconds = clock.UptimeSeconds,
            Requests = statistics.Requests,
            Errors = statistics.Errors,
            AvailableServers = servers.Count(s => s.Available),
            Servers = servers,
            Election = services.GetService<ILeaderElection>()?.GetSnapshot(),
        });
    }

    private static Results<Ok<ServerStatus>, ProblemHttpResult, UnauthorizedHttpResult> Drain(
        string name, HttpContext context, ProxyCluster cluster, WebServerStatistics statistics, IOptions<AdminOptions> admin, ILogger<Log> logger) =>
        SetDrained(name, drained: true, context, cluster, statistics, admin.Value, logger);

    private static Results<Ok<ServerStatus>, ProblemHttpResult, UnauthorizedHttpResult> Ready(
        string name, HttpContext context, ProxyCluster cluster, WebServerStatistics statistics, IOptions<AdminOptions> admin, ILogger<Log> logger) =>
        SetDrained(name, drained: false, context, cluster, statistics, admin.Value, logger);

    private static Results<Ok<ServerStatus>, ProblemHttpResult, UnauthorizedHttpResult> SetDrained(
        string name, bool drained, HttpContext context, ProxyCluster cluster, WebServerStatistics statistics, AdminOptions admin, ILogger<Log> logger)
    {
        if (!IsAuthorized(context.Request, admin.Token))
        {
            Log.Refused(logger, context.Request.Path, context.Connection.RemoteIpAddress?.ToString());
            context.Response.Headers.WWWAuthenticate = "Bearer";
            return TypedResults.Unauthorized();
        }

        if (!cluster.SetDrained(name, drained))
        {
            return TypedResults.Problem(
                $"No web server is named '{name}'; GET /status lists them.", statusCode: StatusCodes.Status404NotFound, title: "Unknown web server");
        }

        Log.StateChanged(logger, name, drained ? "drain" : "ready", context.Connection.RemoteIpAddress?.ToString());
        var status = cluster.Destinations().First(d => d.Id == name);
        return TypedResults.Ok(ToStatus(status, statistics.For(name)));
    }

    /// <summary>Constant-time comparison, so the token cannot be guessed byte by byte from response times.</summary>
    private static bool IsAuthorized(HttpRequest request, string? token)
    {
        const string scheme = "Bearer ";
        var header = request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(token) || !header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim()), Encoding.UTF8.GetBytes(token));
    }

    private static ServerStatus ToStatus(DestinationStatus destination, WebServerCounters counters) => new()
    {
        Name = destination.Id,
        Address = destination.Address,
        Node = destination.Node,
        Health = destination.Health,
        ActiveCheck = destination.Active,
        PassiveCheck = destination.Passive,
        State = destination.Drained ? "drain" : "ready",
        Available = destination.Available,
        InFlight = destination.InFlight,
        Requests = counters.Requests,
        Errors = counters.Errors,
        LatencyMs = counters.Latency.Percentiles(),
    };
}
