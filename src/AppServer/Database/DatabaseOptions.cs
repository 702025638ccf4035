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

    /// <summary>
    /// Connections one app server may hold. Npgsql's default of 100 per server let two app servers under a burst of
    /// 100 concurrent likes open 97 connections, PostgreSQL's whole default max_connections, and the next one was
    /// refused (53300, a 503). App servers x this must stay below max_connections; on 2 cores more connections add
    /// no throughput, and a request waits for a free one within <see cref="ConnectTimeoutSeconds"/>.
    /// </summary>
    [Range(1, 1000)]
    public int MaxPoolSize { get; init; } = 20;

    /// <summary>How long <c>migrate</c> waits for the database to accept connections (compose starts them together).</summary>
    [Range(0, 600)]
    public int MigrateWaitSeconds { get; init; } = 30;
}
