using Foobar.TestSupport;

namespace Foobar.AppServer.Tests.Database;

[Collection(PostgresCollection.Name)]
public sealed class MigrateTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Migrate_TwoRunsAtOnce_BothSucceedAndSchemaIsRight()
    {
        var connectionString = await postgres.CreateDatabaseAsync();

        var runs = await Task.WhenAll(
            AppNodes.Migrate(connectionString).RunToCompletionAsync(TimeSpan.FromSeconds(90)),
            AppNodes.Migrate(connectionString).RunToCompletionAsync(TimeSpan.FromSeconds(90)));

        Assert.All(runs, run => Assert.True(run.ExitCode == 0, run.Output));
        var columns = await Tests.Sql.ScalarAsync<string>(connectionString,
            "SELECT string_agg(column_name || ':' || data_type || ':' || is_nullable, ',' ORDER BY column_name) FROM information_schema.columns WHERE table_name = 'messages'");
        Assert.Equal(
            "author:character varying:NO,created_at:timestamp with time zone:NO,created_by:character varying:NO,id:bigint:NO," +
            "idempotency_key:character varying:YES,likes:integer:NO,text:character varying:NO",
            columns);
        var uniqueKeyIndex = await Tests.Sql.ScalarAsync<string>(connectionString,
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'messages' AND indexname = 'ix_messages_idempotency_key'");
        Assert.Contains("UNIQUE", uniqueKeyIndex);
        Assert.Contains("WHERE (idempotency_key IS NOT NULL)", uniqueKeyIndex);
        Assert.Equal(2L, await Tests.Sql.ScalarAsync<long>(connectionString, "SELECT count(*) FROM \"__EFMigrationsHistory\""));
        Assert.Equal(1L, await Tests.Sql.ScalarAsync<long>(connectionString, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'like_receipts'"));
    }

    [Fact]
    public async Task Migrate_AlreadyCurrent_ExitsZeroAndChangesNothing()
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        var first = await AppNodes.Migrate(connectionString).RunToCompletionAsync(TimeSpan.FromSeconds(90));

        var second = await AppNodes.Migrate(connectionString).RunToCompletionAsync(TimeSpan.FromSeconds(90));

        Assert.True(first.ExitCode == 0, first.Output);
        Assert.True(second.ExitCode == 0, second.Output);
        Assert.Contains("applied 0 migration", second.Output);
    }

    [Fact]
    public async Task Migrate_UnreachableDatabase_FailsWithClearMessage()
    {
        var unreachable = $"Host=127.0.0.1;Port={FreePorts.Next()};Database=nowhere;Username=postgres";
        var node = new ServiceNode("AppServer", "migrate", new Dictionary<string, string?>
        {
            ["ConnectionStrings:Foobar"] = unreachable,
            ["Database:MigrateWaitSeconds"] = "1",
        }, null, "migrate");

        var (code, output) = await node.RunToCompletionAsync(TimeSpan.FromSeconds(60));

        Assert.NotEqual(0, code);
        Assert.Contains("migration failed", output);
    }
}
