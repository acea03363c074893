using System.Data.Common;
using Dapper;

namespace Hookline.Storage;

public sealed class DeliveryStore(SqlDb db) : IDeliveryStore
{
    private const int PruneBatch = 5000;

    /// <summary>The receiver type whose webhooks are paced (Slack takes about one message a second per webhook).</summary>
    public const string PacedReceiverType = "slack";

    private SqlDialect D => db.Dialect;

    public async Task<IReadOnlyList<ClaimedDelivery>> ClaimAsync(int max, DateTimeOffset now, TimeSpan lease, TimeSpan slackPacing,
        string node, CancellationToken ct = default)
    {
        var token = Random.Shared.NextInt64(1, long.MaxValue);
        await using var write = await db.BeginWriteAsync(ct, durable: false); // a lease lost in a power cut is claimed again
        var (c, tx) = (write.Connection, write.Transaction);
        var claimed = (await c.QueryAsync<ClaimRow>(
            $"""
             UPDATE deliveries SET lease_until = @Until, lease_token = @Token, leased_by = @node
             WHERE id IN (SELECT d.id FROM deliveries d
                          WHERE d.status = 0 AND d.due_at <= @Now AND (d.lease_until IS NULL OR d.lease_until <= @Now)
                            AND NOT EXISTS (SELECT 1 FROM webhooks w WHERE w.id = d.webhook_id AND w.paced_until > @Now)
                          ORDER BY d.due_at, d.id LIMIT @Max {D.SkipLocked})
             RETURNING id, message_id, event_id, webhook_id, attempts, max_attempts;
             """, new { Until = now + lease, Token = token, Now = now, Max = max, node }, tx)).AsList();
        if (claimed.Count == 0) { await write.CommitAsync(ct); return []; }

        var (targets, events) = await TargetsAsync(c, tx, claimed.Select(d => d.WebhookId).Distinct(), now, claimed.Select(d => d.EventId).Distinct());
        claimed = await PaceAsync(c, tx, claimed, targets, now, now + slackPacing);
        await write.CommitAsync(ct);

        return claimed.Select(d => new ClaimedDelivery(d.Id, d.MessageId, d.EventId, events[d.EventId].EventType, events[d.EventId].Payload,
            d.Attempts + 1, d.MaxAttempts, token, targets[d.WebhookId])).ToList();
    }

    /// <summary>
    /// One delivery per Slack webhook per interval, across every node: the conditional UPDATE takes the webhook row, so a node
    /// claiming for the same webhook at once waits, re-reads paced_until, and gives its delivery back, due when the pace allows.
    /// </summary>
    private async Task<List<ClaimRow>> PaceAsync(DbConnection c, DbTransaction tx, List<ClaimRow> claimed,
        Dictionary<Guid, WebhookTarget> targets, DateTimeOffset now, DateTimeOffset next)
    {
        var slack = claimed.Where(d => targets[d.WebhookId].ReceiverType == PacedReceiverType).ToList();
        if (slack.Count == 0) return claimed;
        var won = (await c.QueryAsync<Guid>(
            $"UPDATE webhooks SET paced_until = @next WHERE {D.In("id", "@ids")} AND (paced_until IS NULL OR paced_until <= @now) RETURNING id;",
            new { next, now, ids = D.Values(slack.Select(d => d.WebhookId).Distinct()) }, tx)).ToHashSet();
        var keep = slack.Where(d => won.Contains(d.WebhookId)).GroupBy(d => d.WebhookId).Select(g => g.MinBy(d => d.Id)!).ToList();
        var giveBack = slack.Except(keep).Select(d => d.Id).ToList();
        if (giveBack.Count > 0)
            await c.ExecuteAsync(
                $"UPDATE deliveries SET lease_until = NULL, lease_token = NULL, due_at = {D.Greatest("due_at", "@next")} WHERE {D.In("id", "@giveBack")};",
                new { next, giveBack = D.Values(giveBack) }, tx);
        return claimed.Where(d => !giveBack.Contains(d.Id)).ToList();
    }

    /// <summary>When the next delivery is due; one in flight is due again only when its lease runs out, so idle workers sleep.</summary>
    public async Task<DateTimeOffset?> NextDueAsync(CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteScalarAsync<DateTimeOffset?>(
            "SELECT MIN(CASE WHEN lease_until > due_at THEN lease_until ELSE due_at END) FROM deliveries WHERE status = 0;");
    }

    public async Task<int> CompleteAsync(IReadOnlyList<AttemptResult> results, int pauseAfter, string node, CancellationToken ct = default)
    {
        // Not waiting for the disk: results lost in a power cut only mean those deliveries are sent again (the log rows and the
        // delivery states go together). Ingest, which must not lose an accepted event, still waits for its flush.
        await using var write = await db.BeginWriteAsync(ct, durable: false);
        var applied = await D.RecordResultsAsync(write, results, pauseAfter, node, ct);
        await write.CommitAsync(ct);
        return applied;
    }

    public async Task<bool> RedeliverAsync(Guid workspaceId, Guid webhookId, long deliveryId, int extraAttempts, DateTimeOffset now,
        CancellationToken ct = default) =>
        await RequeueAsync("id = @DeliveryId", workspaceId, webhookId, new { DeliveryId = deliveryId }, extraAttempts, now, ct) == 1;

    public Task<int> RecoverAsync(Guid workspaceId, Guid webhookId, DateTimeOffset since, int extraAttempts, DateTimeOffset now,
        CancellationToken ct = default) =>
        RequeueAsync("status IN (2, 3) AND created_on >= @Since", workspaceId, webhookId, new { Since = since }, extraAttempts, now, ct);

    private async Task<int> RequeueAsync(string condition, Guid workspaceId, Guid webhookId, object extra, int extraAttempts,
        DateTimeOffset now, CancellationToken ct)
    {
        var args = new DynamicParameters(extra);
        args.AddDynamicParams(new { WorkspaceId = workspaceId, WebhookId = webhookId, Extra = extraAttempts, Now = now });
        int count;
        await using (var write = await db.BeginWriteAsync(ct))
        {
            count = await write.Connection.ExecuteAsync(
                $"""
                 UPDATE deliveries SET status = 0, due_at = @Now, lease_until = NULL, lease_token = NULL, completed_on = NULL,
                   max_attempts = attempts + @Extra
                 WHERE workspace_id = @WorkspaceId AND webhook_id = @WebhookId AND {condition};
                 """, args, write.Transaction);
            await write.CommitAsync(ct);
        }
        if (count > 0) db.Wake();
        return count;
    }

    public async Task<(bool Found, long? DeliveryId)> FindDeliveryOfLogAsync(Guid workspaceId, Guid webhookId, Guid logId,
        CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var rows = (await c.QueryAsync<long?>(
            "SELECT delivery_id FROM webhook_logs WHERE id = @logId AND workspace_id = @workspaceId AND webhook_id = @webhookId;",
            new { logId, workspaceId, webhookId })).AsList();
        return rows.Count == 0 ? (false, null) : (true, rows[0]);
    }

    public async Task<WebhookTarget?> GetTargetAsync(Guid workspaceId, Guid webhookId, DateTimeOffset now, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var (targets, _) = await TargetsAsync(c, null, [webhookId], now, []);
        return targets.TryGetValue(webhookId, out var t) && t.WorkspaceId == workspaceId ? t : null;
    }

    public async Task<DeliveryState?> GetAsync(long id, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var row = await c.QuerySingleOrDefaultAsync<StateRow>(
            "SELECT id, message_id, webhook_id, status, attempts, max_attempts, due_at, lease_until FROM deliveries WHERE id = @id;", new { id });
        return row is null ? null : new DeliveryState(row.Id, row.MessageId, row.WebhookId, (DeliveryStatus)row.Status, row.Attempts,
            row.MaxAttempts, row.DueAt, row.LeaseUntil);
    }

    public async Task<PruneResult> PruneAsync(DateTimeOffset logsBefore, DateTimeOffset keysBefore, CancellationToken ct = default)
    {
        var before = logsBefore;
        var logs = await DeleteInBatchesAsync("webhook_logs", "created_on < @before", new { before }, ct);
        var deliveries = await DeleteInBatchesAsync("deliveries", "status <> 0 AND completed_on < @before", new { before }, ct);
        var events = await DeleteInBatchesAsync("events",
            "created_on < @before AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = events.id)", new { before }, ct);
        var keys = await DeleteInBatchesAsync("idempotency_keys", "created_on < @keysBefore", new { keysBefore }, ct);
        await DeleteInBatchesAsync("rate_windows", "(kind = 1 AND window_start < @seconds) OR (kind = 2 AND window_start < @minutes)",
            new { seconds = keysBefore.ToUnixTimeSeconds(), minutes = keysBefore.ToUnixTimeSeconds() / 60 }, ct);
        return new PruneResult(logs, deliveries, events, keys);
    }

    /// <summary>Deletes in short transactions so that pruning never holds the writer (or many row locks) for long.</summary>
    private async Task<int> DeleteInBatchesAsync(string table, string condition, object args, CancellationToken ct)
    {
        var total = 0;
        while (!ct.IsCancellationRequested)
        {
            await using var write = await db.BeginWriteAsync(ct);
            var deleted = await write.Connection.ExecuteAsync(
                $"DELETE FROM {table} WHERE {D.RowId} IN (SELECT {D.RowId} FROM {table} WHERE {condition} LIMIT {PruneBatch});", args, write.Transaction);
            await write.CommitAsync(ct);
            total += deleted;
            if (deleted < PruneBatch) break;
        }
        return total;
    }

    /// <summary>The webhooks' targets (secrets newest first) and the events' payloads, read in one round trip.</summary>
    private async Task<(Dictionary<Guid, WebhookTarget> Targets, Dictionary<Guid, EventRow> Events)> TargetsAsync(DbConnection c,
        DbTransaction? tx, IEnumerable<Guid> webhookIds, DateTimeOffset now, IEnumerable<Guid> eventIds)
    {
        await using var reads = await c.QueryMultipleAsync(
            $"""
             SELECT webhook_id, secret FROM webhook_secrets
             WHERE {D.In("webhook_id", "@ids")} AND (expires_on IS NULL OR expires_on > @now)
             ORDER BY expires_on IS NULL DESC, expires_on DESC, created_on DESC;
             SELECT id, workspace_id, uri, receiver_type, language, authentication_type, authentication FROM webhooks WHERE {D.In("id", "@ids")};
             SELECT id, event_type, payload FROM events WHERE {D.In("id", "@events")};
             """, new { ids = D.Values(webhookIds), now, events = D.Values(eventIds) }, tx);
        var secrets = (await reads.ReadAsync<SecretRow>()).ToLookup(s => s.WebhookId, s => s.Secret);
        var targets = (await reads.ReadAsync<TargetRow>()).ToDictionary(r => r.Id, r => new WebhookTarget(r.Id, r.WorkspaceId, r.Uri,
            r.ReceiverType, r.Language, r.AuthenticationType, r.Authentication, secrets[r.Id].ToList()));
        var events = (await reads.ReadAsync<EventRow>()).ToDictionary(e => e.Id);
        return (targets, events);
    }

    private sealed class ClaimRow
    {
        public long Id { get; init; }
        public string MessageId { get; init; } = "";
        public Guid EventId { get; init; }
        public Guid WebhookId { get; init; }
        public int Attempts { get; init; }
        public int MaxAttempts { get; init; }
    }

    private sealed class SecretRow
    {
        public Guid WebhookId { get; init; }
        public string Secret { get; init; } = "";
    }

    private sealed class EventRow
    {
        public Guid Id { get; init; }
        public string EventType { get; init; } = "";
        public string Payload { get; init; } = "";
    }

    private sealed class StateRow
    {
        public long Id { get; init; }
        public string MessageId { get; init; } = "";
        public Guid WebhookId { get; init; }
        public int Status { get; init; }
        public int Attempts { get; init; }
        public int MaxAttempts { get; init; }
        public DateTimeOffset DueAt { get; init; }
        public DateTimeOffset? LeaseUntil { get; init; }
    }

    private sealed class TargetRow
    {
        public Guid Id { get; init; }
        public Guid WorkspaceId { get; init; }
        public string Uri { get; init; } = "";
        public string ReceiverType { get; init; } = "";
        public string? Language { get; init; }
        public string AuthenticationType { get; init; } = "";
        public string? Authentication { get; init; }
    }
}
