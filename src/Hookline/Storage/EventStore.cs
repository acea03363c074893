using System.Data.Common;
using System.Threading.Channels;
using Dapper;

namespace Hookline.Storage;

/// <summary>
/// Ingest with group commit: requests that arrive while a commit is under way are written together in the next
/// transaction (<see cref="SqlDialect.IngestAsync"/>), so one commit answers many 202s and a failing request fails alone.
/// Where the database <see cref="SqlDb.FlushesSeparately"/>, the transaction commits without waiting for the disk and the
/// next group starts at once; a second loop then makes the log durable (<see cref="SqlDb.FlushAsync"/>), once for every
/// group committed meanwhile, and only then are those requests answered. Either way a 202 means "on disk".
/// </summary>
public sealed class EventStore : IEventStore
{
    private const int MaxRequestsPerCommit = 256;
    private const int MaxEventsPerCommit = 5000;
    private readonly SqlDb _db;
    private readonly Channel<Request> _queue = Channel.CreateUnbounded<Request>();
    private readonly Channel<Committed> _unflushed = Channel.CreateUnbounded<Committed>(new() { SingleReader = true });
    private readonly Func<Task> _flush;

    public EventStore(SqlDb db) : this(db, db.FlushAsync) { }

    /// <summary>Tests give their own <paramref name="flush"/> to hold or fail it.</summary>
    internal EventStore(SqlDb db, Func<Task> flush)
    {
        _db = db;
        _flush = flush;
        for (var i = 0; i < db.IngestWriters; i++) _ = Task.Run(CommitLoopAsync);
        _ = Task.Run(FlushLoopAsync);
    }

    private sealed record Request(IngestRequest Ingest, TaskCompletionSource<IngestOutcome> Done);

    public async Task<IngestOutcome> IngestAsync(IReadOnlyList<NewEvent> events, IdempotencyKey? key, int maxAttempts,
        Func<IReadOnlyList<IngestedEvent>, string> response, CancellationToken ct = default)
    {
        var request = new Request(new(events, key, maxAttempts, response), new(TaskCreationOptions.RunContinuationsAsynchronously));
        await _queue.Writer.WriteAsync(request, ct);
        // Once queued it is written or failed as a whole; the caller's cancellation only stops the waiting.
        return await request.Done.Task.WaitAsync(ct);
    }

    /// <summary>A group whose transaction is committed, waiting for the flush before its requests are answered.</summary>
    private sealed record Committed(List<Request> Group, IngestResult[] Results);

    private async Task CommitLoopAsync()
    {
        while (await _queue.Reader.WaitToReadAsync())
        {
            var group = new List<Request>();
            var events = 0;
            while (group.Count < MaxRequestsPerCommit && events < MaxEventsPerCommit && _queue.Reader.TryRead(out var next))
            {
                group.Add(next);
                events += next.Ingest.Events.Count;
            }
            if (await CommitAsync(group) is not { } committed) continue;
            if (_db.FlushesSeparately) _unflushed.Writer.TryWrite(committed);
            else Answer(committed, failed: null);
        }
    }

    private async Task<Committed?> CommitAsync(List<Request> group)
    {
        IngestResult[] results;
        try
        {
            // Not durable where FlushLoopAsync makes it so before any answer.
            results = await _db.IngestAsync(group.Select(r => r.Ingest).ToList(), durable: !_db.FlushesSeparately);
        }
        catch (Exception e)
        {
            foreach (var request in group) request.Done.TrySetException(e); // nothing of the group was committed
            return null;
        }
        if (results.Sum(r => r.Deliveries) is > 0 and var queued)
        {
            _db.Wake();
            _db.Queued(queued);
        }
        return new Committed(group, results);
    }

    private async Task FlushLoopAsync()
    {
        var waiting = new List<Committed>();
        while (await _unflushed.Reader.WaitToReadAsync())
        {
            while (_unflushed.Reader.TryRead(out var committed)) waiting.Add(committed);
            Exception? failed = null;
            try { await _flush(); } // covers every commit made before it, so all the waiting groups at once
            catch (Exception e) { failed = e; } // a 503 although committed: if published again, delivered twice (at least once, as ever)
            foreach (var committed in waiting) Answer(committed, failed);
            waiting.Clear();
        }
    }

    private static void Answer(Committed committed, Exception? failed)
    {
        var (group, results) = committed;
        for (var i = 0; i < group.Count; i++)
            if ((failed ?? results[i].Error) is { } error) group[i].Done.TrySetException(error);
            else group[i].Done.TrySetResult(results[i].Outcome!);
    }

    // The statements both dialects share. Parameters are named after NewEvent's properties.

    public const string InsertEvent =
        """
        INSERT INTO events (id, workspace_id, event_type, is_main_entity_change, payload, created_on, trace_parent)
        VALUES (@Id, @WorkspaceId, @EventType, @IsMain, @Payload, @CreatedOn, @TraceParent);
        """;

    /// <summary>
    /// One pending delivery of the event per matching webhook: active, subscribed, not restricted to main-entity changes, and
    /// not the webhook an operational event is about; with as many attempts as the webhook's retry schedule allows.
    /// </summary>
    public static string FanOut(SqlDialect d) =>
        $"""
         INSERT INTO deliveries (message_id, event_id, webhook_id, workspace_id, status, attempts, max_attempts, due_at, created_on)
         SELECT {d.NewMessageId}, @Id, id, workspace_id, 0, 0, COALESCE(max_attempts, @MaxAttempts), @CreatedOn, @CreatedOn
         FROM webhooks
         WHERE workspace_id = @WorkspaceId AND is_active = TRUE AND {d.ListContains("events", "@EventType")}
           AND (only_main_entity = FALSE OR @IsMain = TRUE) AND (@About IS NULL OR id <> @About);
         """;

    public const string SaveKey =
        """
        INSERT INTO idempotency_keys (scope, key, request_hash, response, created_on) VALUES (@Scope, @Key, @RequestHash, @Response, @CreatedOn)
        ON CONFLICT (scope, key) DO UPDATE SET request_hash = excluded.request_hash, response = excluded.response, created_on = excluded.created_on;
        """;

    public static object KeyArgs(IdempotencyKey key, string response) =>
        new { key.Scope, key.Key, key.RequestHash, Response = response, key.CreatedOn };

    /// <summary>The answer a repeat of <paramref name="key"/> gets, or null when the key is new (or past its window).</summary>
    public static async Task<IngestOutcome?> EarlierAnswerAsync(DbConnection c, DbTransaction tx, IdempotencyKey key)
    {
        var earlier = await c.QuerySingleOrDefaultAsync<KeyRow>(
            "SELECT request_hash, response FROM idempotency_keys WHERE scope = @Scope AND key = @Key AND created_on >= @NotBefore;",
            new { key.Scope, key.Key, key.NotBefore }, tx);
        return earlier is null ? null
            : earlier.RequestHash == key.RequestHash ? new(IngestStatus.Replayed, earlier.Response) : new(IngestStatus.KeyReused, "");
    }

    private sealed class KeyRow
    {
        public string RequestHash { get; init; } = "";
        public string Response { get; init; } = "";
    }
}
