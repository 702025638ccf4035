using Microsoft.AspNetCore.Http;

namespace Foobar.ServiceDefaults;

/// <summary>
/// Keeps management paths (/metrics, /internal/*) off the public listener, and public paths off the
/// management listener (<see cref="ManagementPort"/>), in the tiers whose management listener serves only those.
/// </summary>
internal sealed class ManagementPortGate(RequestDelegate next, ManagementPort managementPort)
{
    public Task InvokeAsync(HttpContext context)
    {
        var onManagementPort = managementPort.IsManagement(context);
        var path = context.Request.Path;
        var isManagementPath = IsManagementPath(path);
        // Health stays answerable on both: the tier in front probes the public port.
        var isHealthPath = path.StartsWithSegments("/health", StringComparison.OrdinalIgnoreCase);

        if (isHealthPath || onManagementPort == isManagementPath)
        {
            return next(context);
        }

        context.Response.StatusCode = StatusCodes.Status404NotFound;
        return Task.CompletedTask;
    }

    public static bool IsManagementPath(PathString path) =>
        path.StartsWithSegments("/metrics", StringComparison.OrdinalIgnoreCase)
        || path.StartsWithSegments("/internal", StringComparison.OrdinalIgnoreCase);
}
