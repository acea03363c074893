using Dapper;
using static Hookline.Storage.Sqlite.SqliteValues;

namespace Hookline.Storage.Sqlite;

public sealed class SqliteEventStore(SqliteDb db) : IEventStore
{
    public async Task<IngestOutcome> IngestAsync(IReadOnlyList<NewEvent> events, IdempotencyKey? key, int maxAttempts,
        Func<IReadOnlyList<IngestedEvent>, string> response, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        await using var tx = c.BeginTransaction(deferred: false);

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

        var results = new List<IngestedEvent>(events.Count);
        foreach (var e in events)
        {
            var args = new
            {
                Id = Id(e.Id), WorkspaceId = Id(e.WorkspaceId), e.EventType, IsMain = e.IsMainEntityChange ? 1 : 0, e.Payload,
                Now = Time(e.CreatedOn), MaxAttempts = maxAttempts,
            };
            await c.ExecuteAsync(
                """
                INSERT INTO events (id, workspace_id, event_type, is_main_entity_change, payload, created_on)
                VALUES (@Id, @WorkspaceId, @EventType, @IsMain, @Payload, @Now);
                """, args, tx);
            var deliveries = await c.ExecuteAsync(
                """
                INSERT INTO deliveries (message_id, event_id, webhook_id, workspace_id, status, attempts, max_attempts, due_at, created_on)
                SELECT 'msg_' || lower(hex(randomblob(16))), @Id, id, workspace_id, 0, 0, @MaxAttempts, @Now, @Now
                FROM webhooks
                WHERE workspace_id = @WorkspaceId AND is_active = 1
                  AND instr(',' || events || ',', ',' || @EventType || ',') > 0
                  AND (only_main_entity = 0 OR @IsMain = 1);
                """, args, tx);
            results.Add(new IngestedEvent(e.Id, deliveries));
        }

        var answer = response(results);
        if (key is not null)
            await c.ExecuteAsync(
                """
                INSERT INTO idempotency_keys (scope, key, request_hash, response, created_on) VALUES (@Scope, @Key, @RequestHash, @Response, @Now)
                ON CONFLICT (scope, key) DO UPDATE SET request_hash = excluded.request_hash, response = excluded.response, created_on = excluded.created_on;
                """,
                new { key.Scope, key.Key, key.RequestHash, Response = answer, Now = Time(key.CreatedOn) }, tx);
        await tx.CommitAsync(ct);
        return new(IngestStatus.Accepted, answer);
    }

    private sealed class KeyRow
    {
        public string RequestHash { get; init; } = "";
        public string Response { get; init; } = "";
    }
}
