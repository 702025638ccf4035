using System.Diagnostics;
using System.Net;
using Foobar.LoadBalancer.Election.Witness;
using Foobar.LoadBalancer.Tests.Support;
using Foobar.TestSupport;
using Npgsql;

namespace Foobar.LoadBalancer.Tests.Election.Witness;

/// <summary>The lease row on a real PostgreSQL server (a fresh database per test): acquire, renew, expiry, steal and give back.</summary>
public sealed class WitnessStoreTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ShortLease = TimeSpan.FromMilliseconds(300);

    private readonly List<WitnessStore> _stores = [];
    private string _database = "";

    public async Task InitializeAsync() => _database = await postgres.CreateDatabaseAsync("witness");

    public async Task DisposeAsync()
    {
        foreach (var store in _stores)
        {
            await store.DisposeAsync();
        }
    }

    [Fact]
    public async Task Acquire_FreshDatabase_MakesTheTableAndGrantsTheProposedTerm()
    {
        var reply = await Store("lb-1").AcquireAsync(1000, Lease, default);

        Assert.Equal((true, "lb-1", 1000UL), (reply.Granted, reply.Holder, reply.Term));
        Assert.InRange(reply.Remaining, Lease - TimeSpan.FromSeconds(5), Lease);
        Assert.Equal(1L, await ScalarAsync<long>($"SELECT count(*) FROM {WitnessStore.Table}"));
    }

    [Fact]
    public async Task Acquire_HeldByAnotherNotRunOut_RefusedNamingHolderTermAndRemaining()
    {
        await Store("lb-1").AcquireAsync(1000, Lease, default);

        var reply = await Store("lb-2").AcquireAsync(5000, Lease, default);

        Assert.Equal((false, "lb-1", 1000UL), (reply.Granted, reply.Holder, reply.Term));
        Assert.True(reply.Remaining > Lease - TimeSpan.FromSeconds(5), $"{reply.Remaining}");
    }

    [Fact]
    public async Task Acquire_AnotherLeaseRunOut_GrantedUnderATermPastTheOldOne()
    {
        await Store("lb-1").AcquireAsync(1000, ShortLease, default);
        await Task.Delay(ShortLease + TimeSpan.FromMilliseconds(100));

        // The proposed term is lower than the row's (another clock): the row's term still moves on.
        var reply = await Store("lb-2").AcquireAsync(10, Lease, default);

        Assert.Equal((true, "lb-2", 1001UL), (reply.Granted, reply.Holder, reply.Term));
    }

    [Fact]
    public async Task Acquire_OwnLeaseNotRunOut_GrantedAgainUnderANewTerm()
    {
        // A node restarted within its lease (kill -9 and back) need not wait for it.
        await Store("lb-1").AcquireAsync(1000, Lease, default);

        var reply = await Store("lb-1").AcquireAsync(900, Lease, default);

        Assert.Equal((true, 1001UL), (reply.Granted, reply.Term));
    }

    [Fact]
    public async Task Renew_StillOwn_ExtendsTheLeaseOnTheDatabaseClockKeepingTheTerm()
    {
        var store = Store("lb-1");
        await store.AcquireAsync(1000, ShortLease, default);
        await Task.Delay(200);

        var reply = await store.RenewAsync(1000, Lease, default);

        Assert.Equal((true, 1000UL), (reply.Granted, reply.Term));
        Assert.True(reply.Remaining > Lease - TimeSpan.FromSeconds(5), $"{reply.Remaining}");
        Assert.False((await Store("lb-2").AcquireAsync(2000, Lease, default)).Granted);
    }

    [Fact]
    public async Task Renew_AnotherTookTheLeaseAfterItRanOut_RefusedNamingTheThief()
    {
        var lb1 = Store("lb-1");
        await lb1.AcquireAsync(1000, ShortLease, default);
        await Task.Delay(ShortLease + TimeSpan.FromMilliseconds(100));
        var stolen = await Store("lb-2").AcquireAsync(1001, Lease, default);

        var reply = await lb1.RenewAsync(1000, Lease, default);

        Assert.True(stolen.Granted);
        Assert.Equal((false, "lb-2", stolen.Term), (reply.Granted, reply.Holder, reply.Term));
    }

    [Fact]
    public async Task Renew_RunOutAndNobodyTookIt_GrantedAgain()
    {
        // The witness was away for longer than the lease while the peer voted for this holder; nobody held it since.
        var store = Store("lb-1");
        await store.AcquireAsync(1000, ShortLease, default);
        await Task.Delay(ShortLease + TimeSpan.FromMilliseconds(100));

        var reply = await store.RenewAsync(1000, Lease, default);

        Assert.Equal((true, "lb-1", 1000UL), (reply.Granted, reply.Holder, reply.Term));
    }

    [Fact]
    public async Task Renew_OwnNameUnderANewerTerm_Refused()
    {
        // The row was taken under a newer term by this name (a restarted process): the old hold is over.
        var store = Store("lb-1");
        await store.AcquireAsync(1000, Lease, default);
        await Store("lb-1").AcquireAsync(5000, Lease, default);

        var reply = await store.RenewAsync(1000, Lease, default);

        Assert.Equal((false, 5000UL), (reply.Granted, reply.Term));
    }

    [Fact]
    public async Task Renew_WhileAnOperatorsHandoverCommits_RefusedNamingTheNewHolder()
    {
        // The renewal waits on the row an operator's open transaction hands to lb-2, then leaves it alone; its
        // statement's snapshot, taken before that commit, still shows lb-1 as the holder. The reply must name lb-2.
        var lb1 = Store("lb-1");
        await lb1.AcquireAsync(1000, Lease, default);
        await using var operatorConnection = new NpgsqlConnection(_database);
        await operatorConnection.OpenAsync();
        await using var handover = await operatorConnection.BeginTransactionAsync();
        await using (var command = new NpgsqlCommand($"UPDATE {WitnessStore.Table} SET holder = 'lb-2', term = term + 1", operatorConnection, handover))
        {
            await command.ExecuteNonQueryAsync();
        }

        var renewal = lb1.RenewAsync(1000, Lease, default);
        await Poll.UntilAsync(
            async () => await ScalarAsync<long>("SELECT count(*) FROM pg_locks WHERE NOT granted") > 0,
            TimeSpan.FromSeconds(10), "the renewal waiting on the operator's row lock", TimeSpan.FromMilliseconds(20));
        await handover.CommitAsync();
        var reply = await renewal;

        Assert.Equal((false, "lb-2", 1001UL), (reply.Granted, reply.Holder, reply.Term));
    }

    [Fact]
    public async Task Renew_WitnessFrozenMidAnswer_GivesUpWhenCancelledAndRecoversAfterItThaws()
    {
        // A renewal on the pooled connection, the network frozen under it: cancelled, it must end at once, not when the
        // witness comes back. With Npgsql's reset on close (DISCARD ALL sent ahead of the renewal), the cancellation
        // waited for the reset's answer and then ran PostgreSQL's cancel request synchronously on the thread that
        // received it: in the load balancer, with socket completions inline, an epoll thread, and lb-1 answered nothing
        // for ~10 s after the witness came back (docs/election.md, "The witness's connection").
        await using var relay = TcpRelay.StartHere(new IPEndPoint(IPAddress.Loopback, new NpgsqlConnectionStringBuilder(_database).Port));
        var store = await TcpStoreAsync(relay.Port);
        await store.AcquireAsync(1000, Lease, default);

        relay.Freeze();
        var cancelled = Stopwatch.StartNew();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(300)))
        {
            var renewal = store.RenewAsync(1000, Lease, timeout.Token);
            var thawLater = Task.Delay(TimeSpan.FromSeconds(10)).ContinueWith(_ => relay.Thaw(), TaskScheduler.Default);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => renewal);
            cancelled.Stop();
            relay.Thaw();
            await thawLater;
        }

        var reply = await store.RenewAsync(1000, Lease, default);

        Assert.True(cancelled.Elapsed < TimeSpan.FromSeconds(5), $"the cancelled renewal ended {cancelled.ElapsedMilliseconds} ms after it was sent (cancelled at 300 ms, the witness thawed at 10 s)");
        Assert.Equal((true, "lb-1", 1000UL), (reply.Granted, reply.Holder, reply.Term));
    }

    [Fact]
    public async Task Prepare_TheIdleConnectionIsProbedByTcpKeepalive()
    {
        // A Backup's one pooled connection sits idle for hours; in a swarm IPVS forgets it after 15 minutes idle. The
        // kernel's keepalive timer (timer 2 in /proc/net/tcp, the "tr" column) on this process's socket to the server
        // is what keeps it known; without it the idle socket has no timer at all (0).
        var port = new NpgsqlConnectionStringBuilder(_database).Port;
        var store = await TcpStoreAsync(port);
        var before = ConnectionsTo(port).Keys.ToHashSet();
        await store.PrepareAsync(default);

        var opened = ConnectionsTo(port).Where(c => !before.Contains(c.Key)).Select(c => c.Value).ToList();

        var (timer, due) = Assert.Single(opened);
        Assert.Equal("02", timer);
        Assert.InRange(due, 1, WitnessStore.IdleProbe.TotalSeconds);
    }

    /// <summary>This machine's established TCP connections to <paramref name="port"/>: local address, timer kind and when it is due (s).</summary>
    private static Dictionary<string, (string Timer, double Due)> ConnectionsTo(int port) =>
        File.ReadLines("/proc/self/net/tcp").Skip(1)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f[2].EndsWith($":{port:X4}", StringComparison.Ordinal) && f[3] == "01")
            .ToDictionary(f => f[1], f => (f[5].Split(':')[0], Convert.ToInt64(f[5].Split(':')[1], 16) / 100.0));

    [Fact]
    public async Task Yield_SuccessorGrantedAtOnceUnderANewerTerm()
    {
        var lb1 = Store("lb-1");
        await lb1.AcquireAsync(1000, Lease, default);

        await lb1.YieldAsync(default);
        var reply = await Store("lb-2").AcquireAsync(10, Lease, default);

        Assert.Equal((true, "lb-2", 1001UL), (reply.Granted, reply.Holder, reply.Term));
        Assert.False((await lb1.RenewAsync(1000, Lease, default)).Granted);
    }

    [Fact]
    public async Task Acquire_TwoNodesAtOnceOnAFreshDatabase_ExactlyOneGrantedEachRound()
    {
        for (var round = 1; round <= 20; round++)
        {
            // Fresh stores and a group of its own each round (a long lease: however late the second request runs, the
            // first one's lease has not run out); the first round also races the two CREATEs of the table, the even
            // rounds a row that exists and has run out.
            if (round % 2 == 0)
            {
                await ExecuteAsync($"INSERT INTO {WitnessStore.Table} VALUES ({round}, 'lb-0', 1, now() - interval '1 second')");
            }

            var (a, b) = (Store("lb-1", round), Store("lb-2", round));
            var replies = await Task.WhenAll(a.AcquireAsync(100, Lease, default), b.AcquireAsync(100, Lease, default));

            Assert.Single(replies, r => r.Granted);
        }
    }

    [Fact]
    public async Task Acquire_RoleMadeByTheDeployScript_UsesTheTableItMayNotCreateAndNothingElse()
    {
        // deploy/postgres-witness/witness-role.sh, as compose's one-shot witness-role runs it (psql as the superuser),
        // twice: it also brings an existing database up to date.
        var admin = new NpgsqlConnectionStringBuilder(_database);
        var (role, database, password) = ($"witness_{Guid.NewGuid():N}"[..20], $"witness_{Guid.NewGuid():N}"[..24], "a 'quoted' witness password");
        var passwordFile = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(passwordFile, password + "\n");
            for (var run = 0; run < 2; run++)
            {
                var result = await CommandLine.RunAsync("/bin/sh", [Path.Combine(RepoPaths.Root, "deploy", "postgres-witness", "witness-role.sh")], RepoPaths.Root, TimeSpan.FromMinutes(1), new Dictionary<string, string?>
                {
                    ["PGHOST"] = admin.Host,
                    ["PGPORT"] = admin.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["PGUSER"] = admin.Username,
                    ["PGPASSWORD"] = admin.Password,
                    ["FOOBAR_WITNESS_PASSWORD_FILE"] = passwordFile,
                    ["FOOBAR_WITNESS_ROLE"] = role,
                    ["FOOBAR_WITNESS_DATABASE"] = database,
                });
                Assert.True(result.ExitCode == 0, result.ToString());
            }
        }
        finally
        {
            File.Delete(passwordFile);
        }

        // Over TCP with the password, as the load balancers log in (the local cluster's own strings are Unix sockets).
        var witness = new NpgsqlConnectionStringBuilder
        {
            Host = admin.Host!.StartsWith('/') ? "127.0.0.1" : admin.Host,
            Port = admin.Port,
            Database = database,
            Username = role,
            Password = password,
        }.ConnectionString;

        var store = new WitnessStore(witness, 1, "lb-1");
        _stores.Add(store);
        var reply = await store.AcquireAsync(1000, Lease, default);
        await store.YieldAsync(default);

        Assert.Equal((true, "lb-1", 1000UL), (reply.Granted, reply.Holder, reply.Term));
        await using var connection = new NpgsqlConnection(witness);
        await connection.OpenAsync();
        foreach (var sql in new[] { "CREATE TABLE foobar_election.other (id int)", "CREATE TABLE public.other (id int)", $"DELETE FROM {WitnessStore.Table}", "SELECT count(*) FROM pg_authid" })
        {
            await using var command = new NpgsqlCommand(sql, connection);
            var refused = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());
            Assert.True(refused.SqlState is PostgresErrorCodes.InsufficientPrivilege or PostgresErrorCodes.InvalidSchemaName, $"{sql}: {refused.SqlState} {refused.MessageText}");
        }
    }

    /// <summary>A store that logs in over TCP to <paramref name="port"/> with a password, as the load balancers do (the local cluster's own strings are Unix sockets).</summary>
    private async Task<WitnessStore> TcpStoreAsync(int port)
    {
        var database = new NpgsqlConnectionStringBuilder(_database).Database;
        var (role, password) = ($"tcp_{Guid.NewGuid():N}"[..20], Guid.NewGuid().ToString("N"));
        await ExecuteAsync($"CREATE ROLE {role} LOGIN PASSWORD '{password}'");
        await ExecuteAsync($"ALTER DATABASE \"{database}\" OWNER TO {role}");
        var tcp = new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = port, Database = database, Username = role, Password = password };
        var store = new WitnessStore(tcp.ConnectionString, 1, "lb-1");
        _stores.Add(store);
        return store;
    }

    private WitnessStore Store(string node, int group = 1)
    {
        var store = new WitnessStore(_database, group, node);
        _stores.Add(store);
        return store;
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(_database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
