using Dapper;
using Npgsql;
using static Hookline.Storage.Postgres.PostgresDb;

namespace Hookline.Storage.Postgres;

public sealed class PostgresDeliveryStore(PostgresDb db) : IDeliveryStore
{
    private const int PruneBatch = 5000;

    public async Task<IReadOnlyList<ClaimedDelivery>> ClaimAsync(int max, DateTimeOffset now, TimeSpan lease, TimeSpan slackPacing,
        string node, CancellationToken ct = default)
    {
        var token = Random.Shared.NextInt64(1, long.MaxValue);
        await using var c = await db.OpenAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        // SKIP LOCKED: nodes claiming at once each take different rows instead of queueing behind each other.
        var claimed = (await c.QueryAsync<ClaimRow>(
            """
            WITH picked AS (
              SELECT d.id FROM deliveries d
              WHERE d.status = 0 AND d.due_at <= @Now AND (d.lease_until IS NULL OR d.lease_until <= @Now)
                AND NOT EXISTS (SELECT 1 FROM webhooks w WHERE w.id = d.webhook_id AND w.paced_until > @Now)
              ORDER BY d.due_at, d.id LIMIT @Max
              FOR UPDATE OF d SKIP LOCKED)
            UPDATE deliveries d SET lease_until = @Until, lease_token = @Token, leased_by = @node FROM picked WHERE d.id = picked.id
            RETURNING d.id, d.message_id, d.event_id, d.webhook_id, d.attempts, d.max_attempts;
            """, new { Until = Utc(now + lease), Token = token, Now = Utc(now), Max = max, node }, tx)).AsList();
        if (claimed.Count == 0) { await tx.CommitAsync(ct); return []; }

        var targets = await TargetsAsync(c, tx, claimed.Select(d => d.WebhookId).Distinct().ToArray(), now);
        claimed = await PaceAsync(c, tx, claimed, targets, now, now + slackPacing);
        var events = (await c.QueryAsync<EventRow>("SELECT id, event_type, payload FROM events WHERE id = ANY(@ids);",
            new { ids = claimed.Select(d => d.EventId).Distinct().ToArray() }, tx)).ToDictionary(e => e.Id);
        await tx.CommitAsync(ct);

        return claimed.Select(d => new ClaimedDelivery(d.Id, d.MessageId, d.EventId, events[d.EventId].EventType, events[d.EventId].Payload,
            d.Attempts + 1, d.MaxAttempts, token, targets[d.WebhookId])).ToList();
    }

    /// <summary>
    /// One delivery per Slack webhook per interval, across every node: the conditional UPDATE locks the webhook row, so a
    /// second node claiming for the same webhook waits, re-reads paced_until, and gives its delivery back.
    /// </summary>
    private static async Task<List<ClaimRow>> PaceAsync(NpgsqlConnection c, NpgsqlTransaction tx, List<ClaimRow> claimed,
        Dictionary<Guid, WebhookTarget> targets, DateTimeOffset now, DateTimeOffset next)
    {
        var slack = claimed.Where(d => targets[d.WebhookId].ReceiverType == Webhooks.ReceiverTypes.Slack).ToList();
        if (slack.Count == 0) return claimed;
        var won = (await c.QueryAsync<Guid>(
            "UPDATE webhooks SET paced_until = @next WHERE id = ANY(@ids) AND (paced_until IS NULL OR paced_until <= @now) RETURNING id;",
            new { next = Utc(next), now = Utc(now), ids = slack.Select(d => d.WebhookId).Distinct().ToArray() }, tx)).ToHashSet();
        var keep = slack.Where(d => won.Contains(d.WebhookId)).GroupBy(d => d.WebhookId).Select(g => g.MinBy(d => d.Id)!).ToList();
        var giveBack = slack.Except(keep).Select(d => d.Id).ToArray();
        if (giveBack.Length > 0)
            await c.ExecuteAsync(
                "UPDATE deliveries SET lease_until = NULL, lease_token = NULL, due_at = GREATEST(due_at, @next) WHERE id = ANY(@giveBack);",
                new { next = Utc(next), giveBack }, tx);
        return claimed.Where(d => !giveBack.Contains(d.Id)).ToList();
    }

    public async Task<DateTimeOffset?> NextDueAsync(CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        // A delivery in flight is due again only when its lease runs out: counting it as due now made the worker claim back to back.
        return Time(await c.ExecuteScalarAsync<DateTime?>(
            "SELECT MIN(GREATEST(due_at, COALESCE(lease_until, due_at))) FROM deliveries WHERE status = 0;"));
    }

    public async Task<int> CompleteAsync(IReadOnlyList<AttemptResult> results, int pauseAfter, string node, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        // Successes reset their webhook's failure count once per batch; a failure first applies a pending reset (order kept).
        var pendingReset = new HashSet<Guid>();
        Task ResetAsync(Guid webhookId) =>
            c.ExecuteAsync("UPDATE webhooks SET consecutive_failures = 0 WHERE id = @webhookId AND consecutive_failures <> 0;", new { webhookId }, tx);
        var applied = 0;
        foreach (var r in results)
        {
            var d = r.Delivery;
            var updated = await c.ExecuteAsync(
                """
                UPDATE deliveries SET attempts = attempts + 1, lease_until = NULL, lease_token = NULL,
                  status = CASE WHEN status <> 0 THEN status WHEN @Success THEN 1 WHEN @RetryAt::timestamptz IS NOT NULL THEN 0 ELSE 2 END,
                  due_at = CASE WHEN status = 0 AND @RetryAt::timestamptz IS NOT NULL THEN @RetryAt::timestamptz ELSE due_at END,
                  completed_on = CASE WHEN status <> 0 THEN completed_on WHEN @Success OR @RetryAt::timestamptz IS NULL THEN @At ELSE NULL END
                WHERE id = @Id AND lease_token = @Token;
                """, new { d.Id, Token = d.LeaseToken, r.Success, RetryAt = Utc(r.RetryAt), At = Utc(r.At) }, tx);
            if (updated == 0) continue; // fenced: another worker owns this delivery now
            applied++;
            await c.ExecuteAsync(
                """
                INSERT INTO webhook_logs (id, workspace_id, webhook_id, event_id, event_type, attempt, message, response_code, reason,
                  is_successful, duration_ms, response_body, created_on, delivery_id, node)
                VALUES (@LogId, @WorkspaceId, @WebhookId, @EventId, @EventType, @Attempt, @Message, @ResponseCode, @Reason,
                  @Success, @DurationMs, @ResponseBody, @At, @Id, @node);
                """,
                new
                {
                    LogId = Guid.CreateVersion7(r.At), d.Target.WorkspaceId, WebhookId = d.Target.Id, d.EventId, d.EventType, d.Attempt, Message = r.StoredMessage,
                    r.ResponseCode, r.Reason, r.Success, r.DurationMs, r.ResponseBody, At = Utc(r.At), d.Id, node,
                }, tx);
            if (r.Success) { pendingReset.Add(d.Target.Id); continue; }
            if (pendingReset.Remove(d.Target.Id)) await ResetAsync(d.Target.Id);
            await RecordFailureAsync(c, tx, r, pauseAfter);
        }
        foreach (var webhookId in pendingReset) await ResetAsync(webhookId);
        await tx.CommitAsync(ct);
        return applied;
    }

    private static async Task RecordFailureAsync(NpgsqlConnection c, NpgsqlTransaction tx, AttemptResult r, int pauseAfter)
    {
        var webhookId = r.Delivery.Target.Id;
        var state = await c.QuerySingleOrDefaultAsync<(int Failures, bool IsActive)>(
            """
            UPDATE webhooks SET consecutive_failures = consecutive_failures + 1,
              -- a paused webhook keeps the reason it was paused for; attempts that were in flight do not overwrite it
              last_failure_reason = CASE WHEN is_active THEN @Reason ELSE last_failure_reason END
            WHERE id = @webhookId RETURNING consecutive_failures, is_active;
            """, new { webhookId, r.Reason }, tx);
        if (!state.IsActive || (r.PauseReason is null && state.Failures < pauseAfter)) return;

        var why = r.PauseReason ?? $"Paused after {state.Failures} consecutive failed attempts. Last failure: {r.Reason}";
        await c.ExecuteAsync("UPDATE webhooks SET is_active = false, last_failure_reason = @why WHERE id = @webhookId;", new { webhookId, why }, tx);
        await CancelPendingAsync(c, tx, webhookId, r.At);
    }

    /// <summary>Cancels the webhook's queue. Leases stay, so an attempt already in flight still records its log row.</summary>
    internal static Task CancelPendingAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid webhookId, DateTimeOffset at) =>
        c.ExecuteAsync("UPDATE deliveries SET status = 3, completed_on = @at WHERE webhook_id = @webhookId AND status = 0;",
            new { webhookId, at = Utc(at) }, tx);

    public async Task<bool> RedeliverAsync(Guid workspaceId, Guid webhookId, long deliveryId, int extraAttempts, DateTimeOffset now,
        CancellationToken ct = default) =>
        await RequeueAsync("id = @DeliveryId", workspaceId, webhookId, new { DeliveryId = deliveryId }, extraAttempts, now, ct) == 1;

    public Task<int> RecoverAsync(Guid workspaceId, Guid webhookId, DateTimeOffset since, int extraAttempts, DateTimeOffset now,
        CancellationToken ct = default) =>
        RequeueAsync("status IN (2, 3) AND created_on >= @Since", workspaceId, webhookId, new { Since = Utc(since) }, extraAttempts, now, ct);

    private async Task<int> RequeueAsync(string condition, Guid workspaceId, Guid webhookId, object extra, int extraAttempts,
        DateTimeOffset now, CancellationToken ct)
    {
        var args = new DynamicParameters(extra);
        args.AddDynamicParams(new { WorkspaceId = workspaceId, WebhookId = webhookId, Extra = extraAttempts, Now = Utc(now) });
        await using var c = await db.OpenAsync(ct);
        var count = await c.ExecuteAsync(
            $"""
             UPDATE deliveries SET status = 0, due_at = @Now, lease_until = NULL, lease_token = NULL, completed_on = NULL,
               max_attempts = attempts + @Extra
             WHERE workspace_id = @WorkspaceId AND webhook_id = @WebhookId AND {condition};
             """, args);
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
        var targets = await TargetsAsync(c, null, [webhookId], now);
        return targets.TryGetValue(webhookId, out var t) && t.WorkspaceId == workspaceId ? t : null;
    }

    public async Task<DeliveryState?> GetAsync(long id, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var row = await c.QuerySingleOrDefaultAsync<StateRow>(
            "SELECT id, message_id, webhook_id, status, attempts, max_attempts, due_at, lease_until FROM deliveries WHERE id = @id;", new { id });
        return row is null ? null : new DeliveryState(row.Id, row.MessageId, row.WebhookId, (DeliveryStatus)row.Status, row.Attempts,
            row.MaxAttempts, Time(row.DueAt), Time(row.LeaseUntil));
    }

    public async Task<PruneResult> PruneAsync(DateTimeOffset logsBefore, DateTimeOffset keysBefore, CancellationToken ct = default)
    {
        var before = Utc(logsBefore);
        var logs = await DeleteInBatchesAsync("webhook_logs", "created_on < @before", new { before }, ct);
        var deliveries = await DeleteInBatchesAsync("deliveries", "status <> 0 AND completed_on < @before", new { before }, ct);
        var events = await DeleteInBatchesAsync("events",
            "created_on < @before AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = events.id)", new { before }, ct);
        var keys = await DeleteInBatchesAsync("idempotency_keys", "created_on < @keysBefore", new { keysBefore = Utc(keysBefore) }, ct);
        await DeleteInBatchesAsync("rate_windows", "(kind = 1 AND window_start < @seconds) OR (kind = 2 AND window_start < @minutes)",
            new { seconds = keysBefore.ToUnixTimeSeconds(), minutes = keysBefore.ToUnixTimeSeconds() / 60 }, ct);
        return new PruneResult(logs, deliveries, events, keys);
    }

    private async Task<int> DeleteInBatchesAsync(string table, string condition, object args, CancellationToken ct)
    {
        var total = 0;
        await using var c = await db.OpenAsync(ct);
        while (!ct.IsCancellationRequested)
        {
            var deleted = await c.ExecuteAsync(
                $"DELETE FROM {table} WHERE ctid IN (SELECT ctid FROM {table} WHERE {condition} LIMIT {PruneBatch});", args);
            total += deleted;
            if (deleted < PruneBatch) break;
        }
        return total;
    }

    private static async Task<Dictionary<Guid, WebhookTarget>> TargetsAsync(NpgsqlConnection c, NpgsqlTransaction? tx, Guid[] ids,
        DateTimeOffset now)
    {
        var secrets = (await c.QueryAsync<(Guid WebhookId, string Secret)>(
                """
                SELECT webhook_id, secret FROM webhook_secrets
                WHERE webhook_id = ANY(@ids) AND (expires_on IS NULL OR expires_on > @now)
                ORDER BY expires_on IS NULL DESC, expires_on DESC, created_on DESC;
                """, new { ids, now = Utc(now) }, tx))
            .ToLookup(s => s.WebhookId, s => s.Secret);
        var rows = await c.QueryAsync<TargetRow>(
            "SELECT id, workspace_id, uri, receiver_type, language, authentication_type, authentication FROM webhooks WHERE id = ANY(@ids);",
            new { ids }, tx);
        return rows.ToDictionary(r => r.Id, r => new WebhookTarget(r.Id, r.WorkspaceId, r.Uri, r.ReceiverType, r.Language,
            r.AuthenticationType, r.Authentication, secrets[r.Id].ToList()));
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
        public short Status { get; init; }
        public int Attempts { get; init; }
        public int MaxAttempts { get; init; }
        public DateTime DueAt { get; init; }
        public DateTime? LeaseUntil { get; init; }
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
