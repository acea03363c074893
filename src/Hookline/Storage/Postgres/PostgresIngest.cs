using Dapper;
using Npgsql;

namespace Hookline.Storage.Postgres;

public sealed partial class PostgresDialect
{
    /// <summary>
    /// The whole group in three statements at most (keys locked and looked up; events and their deliveries; keys saved), each
    /// one round trip with arrays. Should the group fail, each request is written again on its own, so a failing one fails alone.
    /// </summary>
    public override async Task<IngestResult[]> IngestAsync(SqlWrite write, IReadOnlyList<IngestRequest> group)
    {
        var (c, tx) = ((NpgsqlConnection)write.Connection, (NpgsqlTransaction)write.Transaction);
        if (group.Count == 1) return await IngestTogetherAsync(c, tx, group);
        await tx.SaveAsync("grp");
        try
        {
            return await IngestTogetherAsync(c, tx, group);
        }
        catch (PostgresException)
        {
            await tx.RollbackAsync("grp");
            var results = new IngestResult[group.Count];
            for (var i = 0; i < group.Count; i++)
            {
                await tx.SaveAsync("one");
                try
                {
                    results[i] = (await IngestTogetherAsync(c, tx, [group[i]]))[0];
                    await tx.ReleaseAsync("one");
                }
                catch (PostgresException e)
                {
                    await tx.RollbackAsync("one");
                    results[i] = new(null, e, 0);
                }
            }
            return results;
        }
    }

    /// <summary>
    /// A group without idempotency keys, outside a transaction: its one statement commits it (see <see cref="PostgresDb.IngestAsync"/>).
    /// Should it fail, nothing of it was written, and each request is written again by a statement of its own.
    /// </summary>
    public static async Task<IngestResult[]> IngestAloneAsync(NpgsqlConnection c, IReadOnlyList<IngestRequest> group)
    {
        try
        {
            return await IngestTogetherAsync(c, null, group);
        }
        catch (PostgresException) when (group.Count > 1)
        {
            var results = new IngestResult[group.Count];
            for (var i = 0; i < group.Count; i++)
            {
                try { results[i] = (await IngestTogetherAsync(c, null, [group[i]]))[0]; }
                catch (PostgresException e) { results[i] = new(null, e, 0); }
            }
            return results;
        }
    }

    private static async Task<IngestResult[]> IngestTogetherAsync(NpgsqlConnection c, NpgsqlTransaction? tx, IReadOnlyList<IngestRequest> group)
    {
        var results = new IngestResult[group.Count];
        var earlier = await EarlierAnswersAsync(c, tx, group);
        var accepted = new List<int>();
        var firstWithKey = new Dictionary<(string, string), int>();
        var repeats = new List<(int Index, int Of)>(); // a repeat of a key first used in this same group
        for (var i = 0; i < group.Count; i++)
        {
            if (group[i].Key is not { } key) { accepted.Add(i); continue; }
            if (earlier.TryGetValue((key.Scope, key.Key), out var answer)) results[i] = new(answer(key), null, 0);
            else if (firstWithKey.TryGetValue((key.Scope, key.Key), out var first))
                if (group[first].Key!.RequestHash == key.RequestHash) repeats.Add((i, first));
                else results[i] = new(new(IngestStatus.KeyReused, ""), null, 0);
            else
            {
                firstWithKey[(key.Scope, key.Key)] = i;
                accepted.Add(i);
            }
        }

        var events = accepted.SelectMany(i => group[i].Events.Select(e => (Event: e, group[i].MaxAttempts))).ToList();
        var queued = events.Count == 0 ? [] : (await c.QueryAsync<Guid>(
            $"""
            WITH s AS (
              SELECT * FROM unnest(@Ids, @Workspaces, @Types, @Mains, @Payloads, @Times, @MaxAttempts, @TraceParents::text[], @Abouts::uuid[])
                AS s(id, workspace_id, event_type, is_main_entity_change, payload, created_on, max_attempts, trace_parent, about)),
            e AS (
              INSERT INTO events (id, workspace_id, event_type, is_main_entity_change, payload, created_on, trace_parent)
              SELECT id, workspace_id, event_type, is_main_entity_change, payload, created_on, trace_parent FROM s),
            d AS (
              INSERT INTO deliveries (message_id, event_id, webhook_id, workspace_id, status, attempts, max_attempts, due_at, created_on)
              SELECT {Instance.NewMessageId}, s.id, w.id, w.workspace_id, 0, 0, COALESCE(w.max_attempts, s.max_attempts), s.created_on, s.created_on
              FROM s JOIN webhooks w ON w.workspace_id = s.workspace_id AND w.is_active
                AND {Instance.ListContains("w.events", "s.event_type")}
                AND (NOT w.only_main_entity OR s.is_main_entity_change) AND (s.about IS NULL OR w.id <> s.about)
              RETURNING id, event_id, webhook_id, due_at),
            q AS (
              INSERT INTO delivery_queue (delivery_id, webhook_id, due_at) SELECT id, webhook_id, due_at FROM d)
            SELECT event_id FROM d;
            """,
            new
            {
                Ids = events.Select(x => x.Event.Id).ToArray(), Workspaces = events.Select(x => x.Event.WorkspaceId).ToArray(),
                Types = events.Select(x => x.Event.EventType).ToArray(), Mains = events.Select(x => x.Event.IsMainEntityChange).ToArray(),
                Payloads = events.Select(x => x.Event.Payload).ToArray(), Times = events.Select(x => Utc(x.Event.CreatedOn)).ToArray(),
                MaxAttempts = events.Select(x => x.MaxAttempts).ToArray(), TraceParents = events.Select(x => x.Event.TraceParent).ToArray(),
                Abouts = events.Select(x => x.Event.About).ToArray(),
            }, tx)).CountBy(id => id).ToDictionary();

        var keys = new List<(IdempotencyKey Key, string Answer)>();
        foreach (var i in accepted)
        {
            var ingested = group[i].Events.Select(e => new IngestedEvent(e.Id, queued.GetValueOrDefault(e.Id))).ToList();
            var answer = group[i].Response(ingested);
            results[i] = new(new(IngestStatus.Accepted, answer), null, ingested.Sum(e => e.Deliveries));
            if (group[i].Key is { } key) keys.Add((key, answer));
        }
        foreach (var (index, of) in repeats) results[index] = new(new(IngestStatus.Replayed, results[of].Outcome!.Response), null, 0);
        if (keys.Count > 0)
            await c.ExecuteAsync(
                """
                INSERT INTO idempotency_keys (scope, key, request_hash, response, created_on)
                SELECT * FROM unnest(@Scopes, @Keys, @Hashes, @Responses, @Times)
                ON CONFLICT (scope, key) DO UPDATE SET request_hash = excluded.request_hash, response = excluded.response, created_on = excluded.created_on;
                """,
                new
                {
                    Scopes = keys.Select(k => k.Key.Scope).ToArray(), Keys = keys.Select(k => k.Key.Key).ToArray(),
                    Hashes = keys.Select(k => k.Key.RequestHash).ToArray(), Responses = keys.Select(k => k.Answer).ToArray(),
                    Times = keys.Select(k => Utc(k.Key.CreatedOn)).ToArray(),
                }, tx);
        return results;
    }

    /// <summary>
    /// Locks the group's keys (requests with the same key on other nodes queue behind this transaction, then see its answer)
    /// and reads the answers already stored for them, in one round trip.
    /// </summary>
    private static async Task<Dictionary<(string, string), Func<IdempotencyKey, IngestOutcome>>> EarlierAnswersAsync(NpgsqlConnection c,
        NpgsqlTransaction? tx, IReadOnlyList<IngestRequest> group)
    {
        var keys = group.Where(r => r.Key is not null).Select(r => r.Key!).ToList();
        if (keys.Count == 0) return [];
        await using var reads = await c.QueryMultipleAsync(
            """
            SELECT pg_advisory_xact_lock(h) FROM (SELECT DISTINCT hashtextextended(k, 0) AS h FROM unnest(@Locks) AS k ORDER BY h) s;
            SELECT k.scope, k.key, k.request_hash, k.response
            FROM idempotency_keys k JOIN unnest(@Scopes, @Keys, @NotBefores) AS q(scope, key, not_before) ON k.scope = q.scope AND k.key = q.key
            WHERE k.created_on >= q.not_before;
            """,
            new
            {
                Locks = keys.Select(k => $"{k.Scope}\n{k.Key}").ToArray(), Scopes = keys.Select(k => k.Scope).ToArray(),
                Keys = keys.Select(k => k.Key).ToArray(), NotBefores = keys.Select(k => Utc(k.NotBefore)).ToArray(),
            }, tx);
        await reads.ReadAsync();
        return (await reads.ReadAsync<KeyRow>()).DistinctBy(k => (k.Scope, k.Key)).ToDictionary(k => (k.Scope, k.Key),
            k => (Func<IdempotencyKey, IngestOutcome>)(key => key.RequestHash == k.RequestHash
                ? new(IngestStatus.Replayed, k.Response) : new(IngestStatus.KeyReused, "")));
    }

    private sealed class KeyRow
    {
        public string Scope { get; init; } = "";
        public string Key { get; init; } = "";
        public string RequestHash { get; init; } = "";
        public string Response { get; init; } = "";
    }
}
