using Foobar.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Foobar.AppServer.Database;

/// <summary>
/// <c>AppServer migrate</c>: applies pending EF Core migrations and exits 0 when the schema is current.
/// Safe to run from several instances at once: a PostgreSQL advisory lock serializes the runners, so the
/// second waits and then finds nothing to do. (EF Core's own migration lock was seen not to be enough here:
/// two runners on an empty database both applied the second migration; the test that caught it stays.)
/// </summary>
internal static partial class MigrateCommand
{
    // Any constant shared by all runners; released when the lock connection closes, even on a crash.
    private const long MigrationLockId = 0x666F6F626172;

    public static async Task<int> RunAsync(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<DatabaseOptions>>().Value;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(MigrateCommand));
        var deadline = DateTime.UtcNow.AddSeconds(options.MigrateWaitSeconds);
        while (true)
        {
            try
            {
                await using var scope = services.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<FoobarDbContext>();
                await using var lockConnection = await services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync();
                await using (var acquire = new NpgsqlCommand($"SELECT pg_advisory_lock({MigrationLockId})", lockConnection) { CommandTimeout = 0 })
                {
                    await acquire.ExecuteNonQueryAsync();
                }

                // Migrations may take longer than a request's command timeout.
                db.Database.SetCommandTimeout(TimeSpan.FromMinutes(5));
                var pending = (await db.Database.GetPendingMigrationsAsync()).ToList();
                await db.Database.MigrateAsync();
                Log.SchemaCurrent(logger, pending.Count, pending);
                return 0;
            }
            catch (Exception ex) when (DatabaseUnavailableExceptionHandler.IsDatabaseUnavailable(ex) && DateTime.UtcNow < deadline)
            {
                Log.WaitingForDatabase(logger, ex.GetBaseException().Message);
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
            catch (Exception ex) when (ex is NpgsqlException or DbUpdateException or InvalidOperationException)
            {
                Log.Failed(logger, ex.GetBaseException().Message);
                Console.Error.WriteLine($"error: migration failed: {ex.GetBaseException().Message}");
                return 1;
            }
        }
    }
}
