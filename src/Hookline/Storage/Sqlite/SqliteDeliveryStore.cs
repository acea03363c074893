using Dapper;
using Microsoft.Data.Sqlite;
using static Hookline.Storage.Sqlite.SqliteValues;

namespace Hookline.Storage.Sqlite;

public sealed class SqliteDeliveryStore(SqliteDb db) : IDeliveryStore
{
    private const int PruneBatch = 5000;

    public async Task<IReadOnlyList<ClaimedDelivery>> ClaimAsync(int max, DateTimeOffset now, TimeSpan lease, TimeSpan slackPacing,
        string node, CancellationToken ct = default)
    {
        var token = Random.Shared.NextInt64(1, long.MaxValue);
        await using var writer = await db.BeginWriteAsync(ct, durable: false); // a lease lost in a power cut is claimed again
        var (c, tx) = (writer.Connection, writer.Transaction);
        var claimed = (await c.QueryAsync<ClaimRow>(
            """
            UPDATE deliveries SET lease_until = @Until, lease_token = @Token, leased_by = @node
            WHERE id IN (SELECT d.id FROM deliveries d
                         WHERE d.status = 0 AND d.due_at <= @Now AND (d.lease_until IS NULL OR d.lease_until <= @Now)
                           AND NOT EXISTS (SELECT 1 FROM webhooks w WHERE w.id = d.webhook_id AND w.paced_until > @Now)
                         ORDER BY d.due_at, d.id LIMIT @Max)
            RETURNING id, message_id, event_id, webhook_id, attempts, max_attempts;
            """, new { Until = Time(now + lease), Token = token, Now = Time(now), Max = max, node }, tx)).AsList();
        if (claimed.Count == 0) { await tx.CommitAsync(ct); return []; }

        var targets = await TargetsAsync(c, tx, claimed.Select(d => d.WebhookId).Distinct(), now);
        claimed = await PaceAsync(c, tx, claimed, targets, now + slackPacing);
        var events = (await c.QueryAsync<EventRow>("SELECT id, event_type, payload FROM events WHERE id IN @Ids;",
            new { Ids = claimed.Select(d => d.EventId).Distinct() }, tx)).ToDictionary(e => e.Id);
        await tx.CommitAsync(ct);

        return claimed.Select(d => new ClaimedDelivery(d.Id, d.MessageId, Guid.Parse(d.EventId), events[d.EventId].EventType,
            events[d.EventId].Payload, (int)d.Attempts + 1, (int)d.MaxAttempts, token, targets[d.WebhookId])).ToList();
    }

    /// <summary>Keeps the oldest claimed delivery per Slack webhook and gives the others back, due when the pace allows.</summary>
    private static async Task<List<ClaimRow>> PaceAsync(SqliteConnection c, SqliteTransaction tx, List<ClaimRow> claimed,
        Dictionary<string, WebhookTarget> targets, DateTimeOffset next)
    {
        var slack = claimed.Where(d => targets[d.WebhookId].ReceiverType == Webhooks.ReceiverTypes.Slack).ToList();
        if (slack.Count == 0) return claimed;
        var keep = slack.GroupBy(d => d.WebhookId).Select(g => g.MinBy(d => d.Id)!).ToList();
        var giveBack = slack.Except(keep).Select(d => d.Id).ToList();
        var at = Time(next);
        await c.ExecuteAsync("UPDATE webhooks SET paced_until = @at WHERE id IN @ids;", new { at, ids = keep.Select(d => d.WebhookId) }, tx);
        if (giveBack.Count > 0)
            await c.ExecuteAsync("UPDATE deliveries SET lease_until = NULL, lease_token = NULL, due_at = MAX(due_at, @at) WHERE id IN @giveBack;",
                new { at, giveBack }, tx);
        return claimed.Where(d => !giveBack.Contains(d.Id)).ToList();
    }

    public async Task<DateTimeOffset?> NextDueAsync(CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var next = await c.ExecuteScalarAsync<long?>(
            "SELECT MIN(MAX(due_at, COALESCE(lease_until, 0))) FROM deliveries WHERE status = 0;");
        return Time(next);
    }

    public async Task<int> CompleteAsync(IReadOnlyList<AttemptResult> results, int pauseAfter, string node, CancellationToken ct = default)
    {
        // Not waiting for the disk: results lost in a power cut only mean those deliveries are sent again (the log rows and the
        // delivery states go together). Ingest, which must not lose an accepted event, still waits for its fsync.
        await using var writer = await db.BeginWriteAsync(ct, durable: false);
        var (c, tx) = (writer.Connection, writer.Transaction);
        // Prepared once per batch and bound per result: SQLite parses each statement once, not once per delivery.
        await using var finish = Prepared(c, tx,
            """
            UPDATE deliveries SET attempts = attempts + 1, lease_until = NULL, lease_token = NULL,
              status = CASE WHEN status <> 0 THEN status WHEN $success = 1 THEN 1 WHEN $retryAt IS NOT NULL THEN 0 ELSE 2 END,
              due_at = CASE WHEN status = 0 AND $retryAt IS NOT NULL THEN $retryAt ELSE due_at END,
              completed_on = CASE WHEN status <> 0 THEN completed_on WHEN $success = 1 OR $retryAt IS NULL THEN $at ELSE NULL END
            WHERE id = $id AND lease_token = $token;
            """, "$id", "$token", "$success", "$retryAt", "$at");
        await using var log = Prepared(c, tx,
            """
            INSERT INTO webhook_logs (id, workspace_id, webhook_id, event_id, event_type, attempt, message, response_code, reason,
              is_successful, duration_ms, response_body, created_on, delivery_id, node)
            VALUES ($logId, $workspaceId, $webhookId, $eventId, $eventType, $attempt, $message, $responseCode, $reason,
              $success, $durationMs, $responseBody, $at, $id, $node);
            """, "$logId", "$workspaceId", "$webhookId", "$eventId", "$eventType", "$attempt", "$message", "$responseCode", "$reason",
            "$success", "$durationMs", "$responseBody", "$at", "$id", "$node");
        await using var reset = Prepared(c, tx, "UPDATE webhooks SET consecutive_failures = 0 WHERE id = $webhookId AND consecutive_failures <> 0;",
            "$webhookId");
        // Successes reset their webhook's failure count once per batch, not once each; a failure first applies a pending reset, so
        // the count still follows the order of the results.
        var pendingReset = new HashSet<string>();
        async Task ResetAsync(string webhookId)
        {
            Bind(reset, ("$webhookId", webhookId));
            await reset.ExecuteNonQueryAsync(ct);
        }
        var applied = 0;
        foreach (var r in results)
        {
            var d = r.Delivery;
            Bind(finish, ("$id", d.Id), ("$token", d.LeaseToken), ("$success", r.Success ? 1 : 0), ("$retryAt", Time(r.RetryAt)), ("$at", Time(r.At)));
            if (await finish.ExecuteNonQueryAsync(ct) == 0) continue; // fenced: another worker owns this delivery now
            applied++;

            // Version 7 ids grow with time, so log rows append to the B-tree instead of splitting pages at random.
            Bind(log, ("$logId", Id(Guid.CreateVersion7(r.At))), ("$workspaceId", Id(d.Target.WorkspaceId)), ("$webhookId", Id(d.Target.Id)),
                ("$eventId", Id(d.EventId)), ("$eventType", d.EventType), ("$attempt", d.Attempt), ("$message", r.StoredMessage),
                ("$responseCode", r.ResponseCode), ("$reason", r.Reason), ("$success", r.Success ? 1 : 0), ("$durationMs", r.DurationMs),
                ("$responseBody", r.ResponseBody), ("$at", Time(r.At)), ("$id", d.Id), ("$node", node));
            await log.ExecuteNonQueryAsync(ct);
            var webhookId = Id(d.Target.Id);
            if (r.Success) { pendingReset.Add(webhookId); continue; }
            if (pendingReset.Remove(webhookId)) await ResetAsync(webhookId);
            await RecordFailureAsync(c, tx, webhookId, r, pauseAfter);
        }
        foreach (var webhookId in pendingReset) await ResetAsync(webhookId);
        await tx.CommitAsync(ct);
        return applied;
    }

    private static SqliteCommand Prepared(SqliteConnection c, SqliteTransaction tx, string sql, params string[] parameters)
    {
        var command = c.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        foreach (var name in parameters) command.Parameters.Add(new SqliteParameter(name, DBNull.Value));
        return command;
    }

    private static void Bind(SqliteCommand command, params (string Name, object? Value)[] values)
    {
        foreach (var (name, value) in values) command.Parameters[name].Value = value ?? DBNull.Value;
    }

    private static async Task RecordFailureAsync(SqliteConnection c, SqliteTransaction tx, string webhookId, AttemptResult r, int pauseAfter)
    {
        var state = await c.QuerySingleOrDefaultAsync<(long Failures, long IsActive)>(
            """
            UPDATE webhooks SET consecutive_failures = consecutive_failures + 1,
              -- a paused webhook keeps the reason it was paused for; attempts that were in flight do not overwrite it
              last_failure_reason = CASE WHEN is_active = 1 THEN @Reason ELSE last_failure_reason END
            WHERE id = @webhookId RETURNING consecutive_failures, is_active;
            """, new { webhookId, r.Reason }, tx);
        if (state.IsActive == 0 || (r.PauseReason is null && state.Failures < pauseAfter)) return;

        var why = r.PauseReason ?? $"Paused after {state.Failures} consecutive failed attempts. Last failure: {r.Reason}";
        await c.ExecuteAsync("UPDATE webhooks SET is_active = 0, last_failure_reason = @why WHERE id = @webhookId;", new { webhookId, why }, tx);
        await CancelPendingAsync(c, tx, webhookId, Time(r.At));
    }

    /// <summary>Cancels the webhook's queue. Leases stay, so an attempt already in flight still records its log row.</summary>
    internal static Task CancelPendingAsync(SqliteConnection c, SqliteTransaction tx, string webhookId, long at) =>
        c.ExecuteAsync("UPDATE deliveries SET status = 3, completed_on = @at WHERE webhook_id = @webhookId AND status = 0;",
            new { webhookId, at }, tx);

    public async Task<bool> RedeliverAsync(Guid workspaceId, Guid webhookId, long deliveryId, int extraAttempts, DateTimeOffset now,
        CancellationToken ct = default) =>
        await RequeueAsync("id = @DeliveryId", workspaceId, webhookId, new { DeliveryId = deliveryId }, extraAttempts, now, ct) == 1;

    public Task<int> RecoverAsync(Guid workspaceId, Guid webhookId, DateTimeOffset since, int extraAttempts, DateTimeOffset now,
        CancellationToken ct = default) =>
        RequeueAsync("status IN (2, 3) AND created_on >= @Since", workspaceId, webhookId, new { Since = Time(since) }, extraAttempts, now, ct);

    private async Task<int> RequeueAsync(string condition, Guid workspaceId, Guid webhookId, object extra, int extraAttempts,
        DateTimeOffset now, CancellationToken ct)
    {
        var args = new DynamicParameters(extra);
        args.AddDynamicParams(new { WorkspaceId = Id(workspaceId), WebhookId = Id(webhookId), Extra = extraAttempts, Now = Time(now) });
        await using var writer = await db.BeginWriteAsync(ct);
        var count = await writer.Connection.ExecuteAsync(
            $"""
             UPDATE deliveries SET status = 0, due_at = @Now, lease_until = NULL, lease_token = NULL, completed_on = NULL,
               max_attempts = attempts + @Extra
             WHERE workspace_id = @WorkspaceId AND webhook_id = @WebhookId AND {condition};
             """, args, writer.Transaction);
        await writer.CommitAsync(ct);
        return count;
    }

    public async Task<(bool Found, long? DeliveryId)> FindDeliveryOfLogAsync(Guid workspaceId, Guid webhookId, Guid logId,
        CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var rows = (await c.QueryAsync<long?>(
            "SELECT delivery_id FROM webhook_logs WHERE id = @LogId AND workspace_id = @WorkspaceId AND webhook_id = @WebhookId;",
            new { LogId = Id(logId), WorkspaceId = Id(workspaceId), WebhookId = Id(webhookId) })).AsList();
        return rows.Count == 0 ? (false, null) : (true, rows[0]);
    }

    public async Task<WebhookTarget?> GetTargetAsync(Guid workspaceId, Guid webhookId, DateTimeOffset now, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var targets = await TargetsAsync(c, null, [Id(webhookId)], now);
        return targets.TryGetValue(Id(webhookId), out var t) && t.WorkspaceId == workspaceId ? t : null;
    }

    public async Task<DeliveryState?> GetAsync(long id, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var row = await c.QuerySingleOrDefaultAsync<StateRow>(
            "SELECT id, message_id, webhook_id, status, attempts, max_attempts, due_at, lease_until FROM deliveries WHERE id = @id;", new { id });
        return row is null ? null : new DeliveryState(row.Id, row.MessageId, Guid.Parse(row.WebhookId), (DeliveryStatus)row.Status,
            (int)row.Attempts, (int)row.MaxAttempts, Time(row.DueAt), Time(row.LeaseUntil));
    }

    public async Task<PruneResult> PruneAsync(DateTimeOffset logsBefore, DateTimeOffset keysBefore, CancellationToken ct = default)
    {
        var before = Time(logsBefore);
        var logs = await DeleteInBatchesAsync("webhook_logs", "created_on < @before", new { before }, ct);
        var deliveries = await DeleteInBatchesAsync("deliveries", "status <> 0 AND completed_on < @before", new { before }, ct);
        var events = await DeleteInBatchesAsync("events",
            "created_on < @before AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = events.id)", new { before }, ct);
        var keys = await DeleteInBatchesAsync("idempotency_keys", "created_on < @keysBefore", new { keysBefore = Time(keysBefore) }, ct);
        return new PruneResult(logs, deliveries, events, keys);
    }

    /// <summary>Deletes in short transactions so that pruning never holds the writer lock for long.</summary>
    private async Task<int> DeleteInBatchesAsync(string table, string condition, object args, CancellationToken ct)
    {
        var total = 0;
        while (!ct.IsCancellationRequested)
        {
            await using var writer = await db.BeginWriteAsync(ct);
            var deleted = await writer.Connection.ExecuteAsync(
                $"DELETE FROM {table} WHERE rowid IN (SELECT rowid FROM {table} WHERE {condition} LIMIT {PruneBatch});", args, writer.Transaction);
            await writer.CommitAsync(ct);
            total += deleted;
            if (deleted < PruneBatch) break;
        }
        return total;
    }

    private static async Task<Dictionary<string, WebhookTarget>> TargetsAsync(SqliteConnection c, SqliteTransaction? tx,
        IEnumerable<string> webhookIds, DateTimeOffset now)
    {
        var ids = webhookIds.ToList();
        var secrets = (await c.QueryAsync<(string WebhookId, string Secret)>(
                """
                SELECT webhook_id, secret FROM webhook_secrets
                WHERE webhook_id IN @ids AND (expires_on IS NULL OR expires_on > @now)
                ORDER BY expires_on IS NULL DESC, expires_on DESC, created_on DESC;
                """, new { ids, now = Time(now) }, tx))
            .ToLookup(s => s.WebhookId, s => s.Secret);
        var rows = await c.QueryAsync<TargetRow>(
            "SELECT id, workspace_id, uri, receiver_type, language, authentication_type, authentication FROM webhooks WHERE id IN @ids;",
            new { ids }, tx);
        return rows.ToDictionary(r => r.Id, r => new WebhookTarget(Guid.Parse(r.Id), Guid.Parse(r.WorkspaceId), r.Uri, r.ReceiverType,
            r.Language, r.AuthenticationType, r.Authentication, secrets[r.Id].ToList()));
    }

    private sealed record ClaimRow(long Id, string MessageId, string EventId, string WebhookId, long Attempts, long MaxAttempts);
    private sealed record EventRow(string Id, string EventType, string Payload);
    private sealed record StateRow(long Id, string MessageId, string WebhookId, long Status, long Attempts, long MaxAttempts, long DueAt, long? LeaseUntil);

    private sealed class TargetRow
    {
        public string Id { get; init; } = "";
        public string WorkspaceId { get; init; } = "";
        public string Uri { get; init; } = "";
        public string ReceiverType { get; init; } = "";
        public string? Language { get; init; }
        public string AuthenticationType { get; init; } = "";
        public string? Authentication { get; init; }
    }
}
