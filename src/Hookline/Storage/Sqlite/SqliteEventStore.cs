using System.Threading.Channels;
using Dapper;
using Microsoft.Data.Sqlite;
using static Hookline.Storage.Sqlite.SqliteValues;

namespace Hookline.Storage.Sqlite;

/// <summary>
/// Ingest with group commit: requests that arrive while a commit is under way are written together in the next
/// transaction, each inside its own savepoint, so one transaction answers many 202s and a failing request fails alone.
/// The transaction commits without waiting for the disk and gives the writer turn back at once; a second loop then
/// flushes the log to disk (<see cref="SqliteDb.SyncLogAsync"/>), once for every group committed meanwhile, and only
/// then are those requests answered. So a 202 still means "on disk", but claims, results and the next group's
/// statements no longer queue behind the flush.
/// </summary>
public sealed class SqliteEventStore : IEventStore
{
    private const int MaxRequestsPerCommit = 256;
    private const int MaxEventsPerCommit = 5000;
    private readonly SqliteDb _db;
    private readonly Channel<Request> _queue = Channel.CreateUnbounded<Request>(new() { SingleReader = true });
    private readonly Channel<Committed> _unsynced = Channel.CreateUnbounded<Committed>(new() { SingleReader = true, SingleWriter = true });
    private readonly Func<Task> _syncLog;

    public SqliteEventStore(SqliteDb db) : this(db, db.SyncLogAsync) { }

    /// <summary>Tests give their own <paramref name="syncLog"/> to hold or fail the flush.</summary>
    internal SqliteEventStore(SqliteDb db, Func<Task> syncLog)
    {
        _db = db;
        _syncLog = syncLog;
        _ = Task.Run(CommitLoopAsync);
        _ = Task.Run(SyncLoopAsync);
    }

    private sealed record Request(IReadOnlyList<NewEvent> Events, IdempotencyKey? Key, int MaxAttempts,
        Func<IReadOnlyList<IngestedEvent>, string> Response, TaskCompletionSource<IngestOutcome> Done);

    public async Task<IngestOutcome> IngestAsync(IReadOnlyList<NewEvent> events, IdempotencyKey? key, int maxAttempts,
        Func<IReadOnlyList<IngestedEvent>, string> response, CancellationToken ct = default)
    {
        var request = new Request(events, key, maxAttempts, response, new TaskCompletionSource<IngestOutcome>(TaskCreationOptions.RunContinuationsAsynchronously));
        await _queue.Writer.WriteAsync(request, ct);
        // Once queued it is written or failed as a whole; the caller's cancellation only stops the waiting.
        return await request.Done.Task.WaitAsync(ct);
    }

    /// <summary>A group whose transaction is committed, waiting for the log flush before its requests are answered.</summary>
    private sealed record Committed(List<Request> Group, (IngestOutcome? Outcome, Exception? Error)[] Outcomes);

    private async Task CommitLoopAsync()
    {
        while (await _queue.Reader.WaitToReadAsync())
        {
            var group = new List<Request>();
            var events = 0;
            while (group.Count < MaxRequestsPerCommit && events < MaxEventsPerCommit && _queue.Reader.TryRead(out var next))
            {
                group.Add(next);
                events += next.Events.Count;
            }
            if (await CommitAsync(group) is { } committed) _unsynced.Writer.TryWrite(committed);
        }
    }

    private async Task SyncLoopAsync()
    {
        var waiting = new List<Committed>();
        while (await _unsynced.Reader.WaitToReadAsync())
        {
            while (_unsynced.Reader.TryRead(out var committed)) waiting.Add(committed);
            Exception? failed = null;
            try { await _syncLog(); } // covers every commit made before it, so all the waiting groups at once
            catch (Exception e) { failed = e; } // a 503 although committed: if published again, delivered twice (at least once, as ever)
            foreach (var (group, outcomes) in waiting)
                for (var i = 0; i < group.Count; i++)
                    if ((failed ?? outcomes[i].Error) is { } error) group[i].Done.TrySetException(error);
                    else group[i].Done.TrySetResult(outcomes[i].Outcome!);
            waiting.Clear();
        }
    }

    private async Task<Committed?> CommitAsync(List<Request> group)
    {
        var outcomes = new (IngestOutcome? Outcome, Exception? Error)[group.Count];
        try
        {
            await using var writer = await _db.BeginWriteAsync(durable: false); // made durable by SyncLoopAsync before any answer
            for (var i = 0; i < group.Count; i++)
            {
                await writer.Connection.ExecuteAsync("SAVEPOINT request;", transaction: writer.Transaction);
                try
                {
                    outcomes[i] = (await IngestOneAsync(writer.Connection, writer.Transaction, group[i]), null);
                    await writer.Connection.ExecuteAsync("RELEASE request;", transaction: writer.Transaction);
                }
                catch (SqliteException e)
                {
                    outcomes[i] = (null, e);
                    await writer.Connection.ExecuteAsync("ROLLBACK TO request; RELEASE request;", transaction: writer.Transaction);
                }
            }
            await writer.CommitAsync();
        }
        catch (Exception e)
        {
            foreach (var request in group) request.Done.TrySetException(e); // nothing of the group was committed
            return null;
        }
        return new Committed(group, outcomes);
    }

    private static async Task<IngestOutcome> IngestOneAsync(SqliteConnection c, SqliteTransaction tx, Request request)
    {
        var key = request.Key;
        if (key is not null)
        {
            var earlier = await c.QuerySingleOrDefaultAsync<KeyRow>(
                "SELECT request_hash, response FROM idempotency_keys WHERE scope = @Scope AND key = @Key AND created_on >= @NotBefore;",
                new { key.Scope, key.Key, NotBefore = Time(key.NotBefore) }, tx);
            if (earlier is not null)
                return earlier.RequestHash == key.RequestHash
                    ? new(IngestStatus.Replayed, earlier.Response)
                    : new(IngestStatus.KeyReused, "");
        }

        // Two commands prepared once and bound per event: SQLite parses each statement once per request, not per event.
        await using var insertEvent = Command(c, tx,
            """
            INSERT INTO events (id, workspace_id, event_type, is_main_entity_change, payload, created_on)
            VALUES ($id, $workspace, $type, $main, $payload, $now);
            """);
        await using var fanOut = Command(c, tx,
            """
            INSERT INTO deliveries (message_id, event_id, webhook_id, workspace_id, status, attempts, max_attempts, due_at, created_on)
            SELECT 'msg_' || lower(hex(randomblob(16))), $id, id, workspace_id, 0, 0, $maxAttempts, $now, $now
            FROM webhooks
            WHERE workspace_id = $workspace AND is_active = 1
              AND instr(',' || events || ',', ',' || $type || ',') > 0
              AND (only_main_entity = 0 OR $main = 1);
            """);
        var results = new List<IngestedEvent>(request.Events.Count);
        foreach (var e in request.Events)
        {
            foreach (var command in new[] { insertEvent, fanOut })
            {
                command.Parameters["$id"].Value = Id(e.Id);
                command.Parameters["$workspace"].Value = Id(e.WorkspaceId);
                command.Parameters["$type"].Value = e.EventType;
                command.Parameters["$main"].Value = e.IsMainEntityChange ? 1 : 0;
                command.Parameters["$now"].Value = Time(e.CreatedOn);
            }
            insertEvent.Parameters["$payload"].Value = e.Payload;
            fanOut.Parameters["$maxAttempts"].Value = request.MaxAttempts;
            await insertEvent.ExecuteNonQueryAsync();
            results.Add(new IngestedEvent(e.Id, await fanOut.ExecuteNonQueryAsync()));
        }

        var answer = request.Response(results);
        if (key is not null)
            await c.ExecuteAsync(
                """
                INSERT INTO idempotency_keys (scope, key, request_hash, response, created_on) VALUES (@Scope, @Key, @RequestHash, @Response, @Now)
                ON CONFLICT (scope, key) DO UPDATE SET request_hash = excluded.request_hash, response = excluded.response, created_on = excluded.created_on;
                """,
                new { key.Scope, key.Key, key.RequestHash, Response = answer, Now = Time(key.CreatedOn) }, tx);
        return new(IngestStatus.Accepted, answer);
    }

    private static SqliteCommand Command(SqliteConnection c, SqliteTransaction tx, string sql)
    {
        var command = c.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        foreach (var name in new[] { "$id", "$workspace", "$type", "$main", "$now", "$payload", "$maxAttempts" })
            if (sql.Contains(name, StringComparison.Ordinal)) command.Parameters.Add(new SqliteParameter(name, DBNull.Value));
        return command;
    }

    private sealed class KeyRow
    {
        public string RequestHash { get; init; } = "";
        public string Response { get; init; } = "";
    }
}
