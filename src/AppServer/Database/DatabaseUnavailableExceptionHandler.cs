using Microsoft.AspNetCore.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Foobar.AppServer.Database;

/// <summary>
/// A database that is down or unreachable becomes 503 problem+json with Retry-After, so clients and the
/// tiers in front know to try again, instead of a 500 that looks like a bug.
/// </summary>
internal sealed partial class DatabaseUnavailableExceptionHandler(
    IProblemDetailsService problemDetails,
    ILogger<DatabaseUnavailableExceptionHandler> logger) : IExceptionHandler
{
    public const int RetryAfterSeconds = 1;

    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (!IsDatabaseUnavailable(exception))
        {
            return false;
        }

        Log.DatabaseUnavailable(logger, exception.GetBaseException().Message);
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "The database is unavailable",
                Detail = "The message store cannot be reached right now. Try again in a moment.",
            },
        });
    }

    internal static bool IsDatabaseUnavailable(Exception exception) =>
        exception switch
        {
            NpgsqlException { IsTransient: true } => true,
            NpgsqlException { InnerException: System.Net.Sockets.SocketException or TimeoutException or IOException } => true,
            // 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now (starting up).
            PostgresException { SqlState: "57P01" or "57P02" or "57P03" } => true,
            TimeoutException => true,
            InvalidOperationException { InnerException: { } inner } => IsDatabaseUnavailable(inner),
            DbUpdateException { InnerException: { } inner } => IsDatabaseUnavailable(inner),
            _ => false,
        };
}
