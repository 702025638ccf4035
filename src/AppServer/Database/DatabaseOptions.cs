using System.ComponentModel.DataAnnotations;

namespace Foobar.AppServer.Database;

/// <summary>
/// Short timeouts by design: with the database gone, a request must fail with 503 in about a second
/// instead of hanging for Npgsql's default 15 s connect and 30 s command timeouts.
/// </summary>
internal sealed record DatabaseOptions
{
    public const string Section = "Database";

    [Range(1, 60)]
    public int ConnectTimeoutSeconds { get; init; } = 1;

    [Range(1, 300)]
    public int CommandTimeoutSeconds { get; init; } = 2;

    /// <summary>How long <c>migrate</c> waits for the database to accept connections (compose starts them together).</summary>
    [Range(0, 600)]
    public int MigrateWaitSeconds { get; init; } = 30;
}
