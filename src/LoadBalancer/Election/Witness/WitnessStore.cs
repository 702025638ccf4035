using Npgsql;

namespace Foobar.LoadBalancer.Election.Witness;

/// <summary>
/// The lease row in PostgreSQL, one statement per request; every time in it is the database's <c>now()</c>, never a
/// load balancer's clock. The table is made on first use (idempotently, under an advisory lock so two load balancers
/// starting together do not race on the catalog); <see cref="SchemaSql"/> is the script to run beforehand where the
/// load balancers' role may not create it (then the table is only used, never created). docs/election.md, "The witness", gives the argument.
/// </summary>
internal sealed class WitnessStore : IAsyncDisposable
{
    public const string Table = "foobar_election.witness_lease";

    public const string SchemaSql = """
        CREATE SCHEMA IF NOT EXISTS foobar_election;
        CREATE TABLE IF NOT EXISTS foobar_election.witness_lease (
            group_id   integer     PRIMARY KEY,
            holder     text        NOT NULL,
            term       bigint      NOT NULL,
            expires_at timestamptz NOT NULL
        );
        """;

    // Any constant: serializes the CREATEs of several load balancers (CREATE ... IF NOT EXISTS alone can fail with a
    // unique violation on the catalog when two run at the same moment).
    private const long SchemaLock = 0x66_6f_6f_62_61_72_01;

    // A new hold: the lease is free (expired) or already this node's; the term moves past every earlier one.
    private const string AcquireSql = $"""
        WITH taken AS (
            INSERT INTO {Table} AS l (group_id, holder, term, expires_at)
            VALUES (@group, @node, @term, now() + @lease)
            ON CONFLICT (group_id) DO UPDATE
               SET holder = excluded.holder, term = GREATEST(l.term + 1, excluded.term), expires_at = excluded.expires_at
             WHERE l.holder = excluded.holder OR l.expires_at <= now()
            RETURNING l.holder, l.term, l.expires_at)
        SELECT true, holder, term, expires_at - now() FROM taken
        UNION ALL
        SELECT false, holder, term, expires_at - now() FROM {Table}
         WHERE group_id = @group AND NOT EXISTS (SELECT 1 FROM taken)
        """;

    // The same hold goes on: still this node's under a term no newer than its own (nobody held it in between), or free
    // again (expired and not taken, e.g. given back and wanted again); then the term moves on as in a new hold.
    private const string RenewSql = $"""
        WITH kept AS (
            INSERT INTO {Table} AS l (group_id, holder, term, expires_at)
            VALUES (@group, @node, @term, now() + @lease)
            ON CONFLICT (group_id) DO UPDATE
               SET term = CASE WHEN l.holder = excluded.holder THEN GREATEST(l.term, excluded.term) ELSE GREATEST(l.term + 1, excluded.term) END,
                   holder = excluded.holder, expires_at = excluded.expires_at
             WHERE (l.holder = excluded.holder AND l.term <= excluded.term) OR l.expires_at <= now()
            RETURNING l.holder, l.term, l.expires_at)
        SELECT true, holder, term, expires_at - now() FROM kept
        UNION ALL
        SELECT false, holder, term, expires_at - now() FROM {Table}
         WHERE group_id = @group AND NOT EXISTS (SELECT 1 FROM kept)
        """;

    // Given back: expired now, holder and term kept so the next holder's term still moves past this one.
    private const string YieldSql = $"UPDATE {Table} SET expires_at = now() WHERE group_id = @group AND holder = @node AND expires_at > now()";

    /// <summary>How long the pooled connection may be idle before the kernel probes it: well inside IPVS's 15 minutes.</summary>
    public static readonly TimeSpan IdleProbe = TimeSpan.FromSeconds(60);

    private readonly NpgsqlDataSource _source;
    private readonly int _group;
    private readonly string _node;
    private volatile bool _schemaReady;

    public WitnessStore(string connectionString, int group, string node)
    {
        // A cancelled request (the witness is away) breaks its connection at once instead of waiting for the server to
        // confirm the cancellation: the next request opens a new one.
        // No reset on close: a pooled connection's reset (DISCARD ALL) is sent ahead of the next command, and a request
        // cancelled while its answer is read has Npgsql send PostgreSQL's cancel request synchronously (a connect and a
        // blocking read) on the thread that received the answer. The load balancer runs socket completions inline, so
        // that thread is an epoll thread serving Kestrel's and YARP's sockets too: lb-1 answered no request for ~10 s after
        // the witness came back from a cut (dotnet-stack: DoCancelRequest under SocketAsyncEngine.EventLoop). The lease
        // statements leave no session state to reset; a cancellation then runs on the timer thread that cancels.
        // One connection stays open while idle (Npgsql closes idle ones after 5 minutes): a Backup asks nothing for
        // hours, and its takeover or preemption must not wait for a new connection and its authentication.
        // That idle connection gets TCP keepalives (unless the string sets its own; not on a Unix socket, which has
        // none and where setting them fails the connection): a swarm reaches a service through
        // IPVS, which forgets a connection idle for 15 minutes, and the packets on it then go nowhere (moby/moby#31208),
        // so a Backup's takeover would begin with a request lost on a dead connection. Kernel probes, not Npgsql's
        // KeepAlive, which runs a query synchronously on a thread-pool thread.
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { CancellationTimeout = -1, NoResetOnClose = true };
        builder.MinPoolSize = Math.Max(builder.MinPoolSize, 1);
        if (builder.TcpKeepAliveTime == 0 && builder.Host?.StartsWith('/') == false)
        {
            builder.TcpKeepAliveTime = (int)IdleProbe.TotalSeconds;
        }

        _source = NpgsqlDataSource.Create(builder);
        _group = group;
        _node = node;
    }

    /// <summary>Makes the table if needed and leaves an open connection in the pool, so that the first lease request is quick.</summary>
    public async Task PrepareAsync(CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken);
        await using var command = _source.CreateCommand($"SELECT count(*) FROM {Table}");
        await command.ExecuteScalarAsync(cancellationToken);
    }

    /// <summary>Takes the lease for a new hold, proposing <paramref name="term"/> (the row keeps the greater of it and the last term + 1).</summary>
    public Task<LeaseReply> AcquireAsync(ulong term, TimeSpan lease, CancellationToken cancellationToken) =>
        RequestAsync(AcquireSql, term, lease, cancellationToken);

    /// <summary>Extends this node's hold under its own <paramref name="term"/>; refused when someone else held the lease meanwhile.</summary>
    public Task<LeaseReply> RenewAsync(ulong term, TimeSpan lease, CancellationToken cancellationToken) =>
        RequestAsync(RenewSql, term, lease, cancellationToken);

    /// <summary>Gives the lease back (if this node still holds it), so a successor can take it without waiting for it to run out.</summary>
    public async Task YieldAsync(CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken);
        await using var command = _source.CreateCommand(YieldSql);
        command.Parameters.AddWithValue("group", _group);
        command.Parameters.AddWithValue("node", _node);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public ValueTask DisposeAsync() => _source.DisposeAsync();

    private async Task<LeaseReply> RequestAsync(string sql, ulong term, TimeSpan lease, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken);
        try
        {
            return await ExecuteAsync(sql, term, lease, cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            // Dropped by hand while running: make it again once.
            _schemaReady = false;
            await EnsureSchemaAsync(cancellationToken);
            return await ExecuteAsync(sql, term, lease, cancellationToken);
        }
    }

    private async Task<LeaseReply> ExecuteAsync(string sql, ulong term, TimeSpan lease, CancellationToken cancellationToken)
    {
        // The statement's snapshot can be older than the row its upsert waited for and then left alone (another node's
        // first insert of the group, or an UPDATE committed meanwhile, e.g. an operator handing the lease over): the
        // fallback SELECT then shows no row, or the row as it was, naming this node as the holder that refused it.
        // Asked again, a new snapshot shows the row that refused it.
        for (var attempt = 0; ; attempt++)
        {
            await using var command = _source.CreateCommand(sql);
            command.Parameters.AddWithValue("group", _group);
            command.Parameters.AddWithValue("node", _node);
            command.Parameters.AddWithValue("term", checked((long)term));
            command.Parameters.AddWithValue("lease", lease);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                var reply = new LeaseReply(reader.GetBoolean(0), reader.GetString(1), (ulong)reader.GetInt64(2), reader.GetFieldValue<TimeSpan>(3));
                if (reply.Granted || reply.Holder != _node || attempt > 0)
                {
                    return reply;
                }

                continue;
            }

            if (attempt > 0)
            {
                throw new InvalidOperationException($"{Table} has no row for group {_group} after an upsert");
            }
        }
    }

    private async Task EnsureSchemaAsync(CancellationToken cancellationToken)
    {
        if (_schemaReady)
        {
            return;
        }

        await using var connection = await _source.OpenConnectionAsync(cancellationToken);

        // A role that may only use the table (made beforehand, SchemaSql as deploy/postgres-witness does) has no CREATE
        // on the database, and PostgreSQL checks that privilege before IF NOT EXISTS: an existing table is left alone.
        await using (var exists = new NpgsqlCommand($"SELECT to_regclass('{Table}') IS NOT NULL", connection))
        {
            if (await exists.ExecuteScalarAsync(cancellationToken) is true)
            {
                _schemaReady = true;
                return;
            }
        }

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var command = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({SchemaLock}); {SchemaSql}", connection, transaction))
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        _schemaReady = true;
    }
}
