using Dapper;
using static Hookline.Storage.Postgres.PostgresDb;

namespace Hookline.Storage.Postgres;

public sealed class PostgresEventStore(PostgresDb db) : IEventStore
{
    public async Task<IngestOutcome> IngestAsync(IReadOnlyList<NewEvent> events, IdempotencyKey? key, int maxAttempts,
        Func<IReadOnlyList<IngestedEvent>, string> response, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);

        if (key is not null)
        {
            // Two requests with the same key queue here, so the second sees the first one's answer.
            await c.ExecuteAsync("SELECT pg_advisory_xact_lock(hashtextextended(@k, 0));", new { k = $"{key.Scope}\n{key.Key}" }, tx);
            var earlier = await c.QuerySingleOrDefaultAsync<KeyRow>(
                "SELECT request_hash, response FROM idempotency_keys WHERE scope = @Scope AND key = @Key AND created_on >= @NotBefore;",
                new { key.Scope, key.Key, NotBefore = Utc(key.NotBefore) }, tx);
            if (earlier is not null)
                return earlier.RequestHash == key.RequestHash ? new(IngestStatus.Replayed, earlier.Response) : new(IngestStatus.KeyReused, "");
        }

        var now = Utc(events[0].CreatedOn); // the API never sends an empty list
        var args = new
        {
            Ids = events.Select(e => e.Id).ToArray(), Workspaces = events.Select(e => e.WorkspaceId).ToArray(),
            Types = events.Select(e => e.EventType).ToArray(), Mains = events.Select(e => e.IsMainEntityChange).ToArray(),
            Payloads = events.Select(e => e.Payload).ToArray(), Now = now, MaxAttempts = maxAttempts,
        };
        await c.ExecuteAsync(
            """
            INSERT INTO events (id, workspace_id, event_type, is_main_entity_change, payload, created_on)
            SELECT u.id, u.workspace_id, u.event_type, u.is_main, u.payload, @Now
            FROM unnest(@Ids, @Workspaces, @Types, @Mains, @Payloads) AS u(id, workspace_id, event_type, is_main, payload);
            """, args, tx);
        var queued = (await c.QueryAsync<Guid>(
            """
            INSERT INTO deliveries (message_id, event_id, webhook_id, workspace_id, status, attempts, max_attempts, due_at, created_on)
            SELECT 'msg_' || replace(gen_random_uuid()::text, '-', ''), e.id, w.id, w.workspace_id, 0, 0, @MaxAttempts, @Now, @Now
            FROM unnest(@Ids, @Workspaces, @Types, @Mains) AS e(id, workspace_id, event_type, is_main)
            JOIN webhooks w ON w.workspace_id = e.workspace_id AND w.is_active
              AND strpos(',' || w.events || ',', ',' || e.event_type || ',') > 0
              AND (NOT w.only_main_entity OR e.is_main)
            RETURNING event_id;
            """, args, tx)).CountBy(id => id).ToDictionary();
        var results = events.Select(e => new IngestedEvent(e.Id, queued.GetValueOrDefault(e.Id))).ToList();

        var answer = response(results);
        if (key is not null)
            await c.ExecuteAsync(
                """
                INSERT INTO idempotency_keys (scope, key, request_hash, response, created_on) VALUES (@Scope, @Key, @RequestHash, @Response, @Now)
                ON CONFLICT (scope, key) DO UPDATE SET request_hash = excluded.request_hash, response = excluded.response, created_on = excluded.created_on;
                """, new { key.Scope, key.Key, key.RequestHash, Response = answer, Now = Utc(key.CreatedOn) }, tx);
        await tx.CommitAsync(ct);
        if (queued.Count > 0) db.Wake();
        return new(IngestStatus.Accepted, answer);
    }

    private sealed class KeyRow
    {
        public string RequestHash { get; init; } = "";
        public string Response { get; init; } = "";
    }
}
