using System.Data.Common;
using Dapper;
using Hookline.Storage.Querying;

namespace Hookline.Storage;

public sealed class WebhookStore(SqlDb db, TimeProvider time) : IWebhookStore
{
    internal const string Columns =
        "id, workspace_id, name, uri, language, events, is_active, only_main_entity, authentication_type, authentication, " +
        "receiver_type, last_failure_reason, created_on, created_by, updated_on, updated_by";

    private const string LogColumns =
        "id, workspace_id, webhook_id, event_id, event_type, attempt, message, response_code, reason, is_successful, " +
        "duration_ms, response_body, created_on";

    public async Task<Webhook?> GetAsync(Guid workspaceId, Guid id, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var row = await c.QuerySingleOrDefaultAsync<WebhookRow>($"SELECT {Columns} FROM webhooks WHERE workspace_id = @workspaceId AND id = @id;",
            new { workspaceId, id });
        return row?.ToWebhook();
    }

    public async Task<Page<Webhook>> ListAsync(Guid workspaceId, ListQuery query, CancellationToken ct = default)
    {
        var page = await ListAsync<WebhookRow>("webhooks", Columns, "workspace_id = @WorkspaceId",
            new() { ["WorkspaceId"] = db.Dialect.ToParameter(workspaceId) }, query, QueryColumns.Webhook, ct);
        return new(page.Items.Select(r => r.ToWebhook()).ToList(), page.Total);
    }

    public async Task InsertAsync(Webhook w, string secret, CancellationToken ct = default)
    {
        await using var write = await db.BeginWriteAsync(ct);
        var (c, tx) = (write.Connection, write.Transaction);
        await c.ExecuteAsync(
            $"""
             INSERT INTO webhooks ({Columns}) VALUES (@Id, @WorkspaceId, @Name, @Uri, @Language, @Events, @IsActive,
               @OnlyTriggerForMainEntityChanges, @AuthenticationType, @Authentication, @ReceiverType, @LastFailureReason, @CreatedOn,
               @CreatedBy, @UpdatedOn, @UpdatedBy);
             """, w, tx);
        await InsertSecretAsync(c, tx, w.Id, secret, w.CreatedOn);
        await write.CommitAsync(ct);
    }

    private static Task InsertSecretAsync(DbConnection c, DbTransaction tx, Guid webhookId, string secret, DateTimeOffset now) =>
        c.ExecuteAsync("INSERT INTO webhook_secrets (id, webhook_id, secret, created_on, expires_on) VALUES (@id, @webhookId, @secret, @now, NULL);",
            new { id = Guid.NewGuid(), webhookId, secret, now }, tx);

    /// <summary>
    /// A resumed webhook (inactive, now active) starts a new failing streak: its count and its warnings start over, and its
    /// next success is announced as <c>webhook_recovered</c> when a pause is what it recovers from. Whatever of its queue its
    /// pause left (cancelled a part at a time, <see cref="DeliveryStore"/>) is cancelled before it is active again. The queue
    /// goes first, in the order that recording results takes its locks (as <see cref="DeleteAsync"/> does).
    /// </summary>
    public async Task<bool> UpdateAsync(Webhook w, CancellationToken ct = default)
    {
        await using var write = await db.BeginWriteAsync(ct);
        var (c, tx) = (write.Connection, write.Transaction);
        var wasActive = await c.ExecuteScalarAsync<bool?>("SELECT is_active FROM webhooks WHERE workspace_id = @WorkspaceId AND id = @Id;",
            new { w.WorkspaceId, w.Id }, tx);
        if (wasActive is null) { await write.CommitAsync(ct); return false; }
        if (wasActive == false || !w.IsActive) await c.ExecuteAsync(ResultSteps.CancelPending(db.Dialect), new { WebhookId = w.Id, At = w.UpdatedOn }, tx);
        var updated = await c.ExecuteAsync(
            """
            UPDATE webhooks SET name = @Name, uri = @Uri, language = @Language, events = @Events, is_active = @IsActive,
              only_main_entity = @OnlyTriggerForMainEntityChanges, authentication_type = @AuthenticationType,
              authentication = @Authentication, receiver_type = @ReceiverType, updated_on = @UpdatedOn, updated_by = @UpdatedBy,
              consecutive_failures = CASE WHEN is_active = FALSE AND @IsActive = TRUE THEN 0 ELSE consecutive_failures END,
              alert_state = CASE WHEN is_active = FALSE AND @IsActive = TRUE THEN alert_state & 4 ELSE alert_state END
            WHERE workspace_id = @WorkspaceId AND id = @Id;
            """, w, tx) == 1;
        await write.CommitAsync(ct);
        return updated;
    }

    public async Task<DeliveryPolicy?> GetPolicyAsync(Guid workspaceId, Guid id, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var row = await c.QuerySingleOrDefaultAsync<PolicyRow>(
            $"SELECT {PolicyColumns.Names} FROM webhooks WHERE workspace_id = @workspaceId AND id = @id;", new { workspaceId, id });
        return row?.ToPolicy();
    }

    public async Task<bool> SetPolicyAsync(Guid workspaceId, Guid id, DeliveryPolicy policy, CancellationToken ct = default)
    {
        await using var write = await db.BeginWriteAsync(ct);
        var updated = await write.Connection.ExecuteAsync(
            """
            UPDATE webhooks SET max_per_second = @MaxPerSecond, max_concurrency = @MaxConcurrency, timeout_seconds = @TimeoutSeconds,
              retry_schedule = @RetrySchedule, max_attempts = @MaxAttempts, fifo = @Fifo
            WHERE workspace_id = @workspaceId AND id = @id;
            """,
            new
            {
                workspaceId, id, policy.MaxPerSecond, policy.MaxConcurrency, policy.TimeoutSeconds,
                RetrySchedule = PolicyColumns.Schedule(policy.RetrySchedule), policy.MaxAttempts, policy.Fifo,
            }, write.Transaction) == 1;
        // Whatever the new limits, what was parked under the old ones is looked at again now.
        if (updated)
            await write.Connection.ExecuteAsync($"UPDATE delivery_queue SET hold = 0, due_at = @now WHERE webhook_id = @id AND hold = {DeliveryLimits.Parked};",
                new { id, now = time.GetUtcNow() }, write.Transaction);
        await write.CommitAsync(ct);
        return updated;
    }

    public async Task<bool> DeleteAsync(Guid workspaceId, Guid id, CancellationToken ct = default)
    {
        await using var write = await db.BeginWriteAsync(ct);
        var (c, tx) = (write.Connection, write.Transaction);
        // The queue and deliveries before the webhook's row, in the order that recording results takes its locks: the other
        // way round, a delete while a result of the webhook was being recorded deadlocked on PostgreSQL (and answered 503).
        var found = await c.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM webhooks WHERE workspace_id = @workspaceId AND id = @id;",
            new { workspaceId, id }, tx);
        if (found == 0) { await write.CommitAsync(ct); return false; }
        await c.ExecuteAsync(ResultSteps.CancelPending(db.Dialect), new { WebhookId = id, At = time.GetUtcNow() }, tx);
        var deleted = await c.ExecuteAsync("DELETE FROM webhooks WHERE workspace_id = @workspaceId AND id = @id;", new { workspaceId, id }, tx);
        await c.ExecuteAsync("DELETE FROM webhook_logs WHERE workspace_id = @workspaceId AND webhook_id = @id;", new { workspaceId, id }, tx);
        await write.CommitAsync(ct);
        return deleted == 1;
    }

    public async Task<string?> GetSecretAsync(Guid workspaceId, Guid id, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteScalarAsync<string?>(
            """
            SELECT s.secret FROM webhook_secrets s JOIN webhooks w ON w.id = s.webhook_id
            WHERE w.workspace_id = @workspaceId AND w.id = @id AND s.expires_on IS NULL;
            """, new { workspaceId, id });
    }

    public async Task<bool> RotateSecretAsync(Guid workspaceId, Guid id, string secret, DateTimeOffset now, DateTimeOffset oldExpiresOn,
        CancellationToken ct = default)
    {
        await using var write = await db.BeginWriteAsync(ct);
        var (c, tx) = (write.Connection, write.Transaction);
        var found = await c.QueryAsync<Guid>($"SELECT id FROM webhooks WHERE workspace_id = @workspaceId AND id = @id {db.Dialect.ForUpdate};",
            new { workspaceId, id }, tx);
        if (!found.Any()) return false;
        var args = new { id, now, expires = oldExpiresOn };
        await c.ExecuteAsync("DELETE FROM webhook_secrets WHERE webhook_id = @id AND expires_on IS NOT NULL AND expires_on <= @now;", args, tx);
        await c.ExecuteAsync(oldExpiresOn > now
            ? "UPDATE webhook_secrets SET expires_on = @expires WHERE webhook_id = @id AND expires_on IS NULL;"
            : "DELETE FROM webhook_secrets WHERE webhook_id = @id AND expires_on IS NULL;", args, tx);
        await InsertSecretAsync(c, tx, id, secret, now);
        await write.CommitAsync(ct);
        return true;
    }

    public async Task<int> AddMissingSecretsAsync(Func<string> newSecret, DateTimeOffset now, CancellationToken ct = default)
    {
        await using var write = await db.BeginWriteAsync(ct);
        var (c, tx) = (write.Connection, write.Transaction);
        var missing = (await c.QueryAsync<Guid>(
            $"""
             SELECT id FROM webhooks w WHERE NOT EXISTS (SELECT 1 FROM webhook_secrets s WHERE s.webhook_id = w.id AND s.expires_on IS NULL)
             {db.Dialect.ForUpdate};
             """, transaction: tx)).AsList();
        foreach (var id in missing) await InsertSecretAsync(c, tx, id, newSecret(), now);
        await write.CommitAsync(ct);
        return missing.Count;
    }

    public async Task<int> ProtectSecretsAsync(string prefix, Func<string, string> protect, CancellationToken ct = default)
    {
        int changed;
        await using (var write = await db.BeginWriteAsync(ct))
        {
            var (c, tx) = (write.Connection, write.Transaction);
            var args = new { prefix };
            var secrets = (await c.QueryAsync<IdValue>(
                $"SELECT id, secret AS value FROM webhook_secrets WHERE substr(secret, 1, length(@prefix)) <> @prefix {db.Dialect.ForUpdate};",
                args, tx)).AsList();
            var auths = (await c.QueryAsync<IdValue>(
                $"SELECT id, authentication AS value FROM webhooks WHERE substr(authentication, 1, length(@prefix)) <> @prefix {db.Dialect.ForUpdate};",
                args, tx)).AsList();
            foreach (var s in secrets)
                await c.ExecuteAsync("UPDATE webhook_secrets SET secret = @value WHERE id = @Id;", new { s.Id, value = protect(s.Value) }, tx);
            foreach (var a in auths)
                await c.ExecuteAsync("UPDATE webhooks SET authentication = @value WHERE id = @Id;", new { a.Id, value = protect(a.Value) }, tx);
            await write.CommitAsync(ct);
            changed = secrets.Count + auths.Count;
        }
        if (changed > 0) await db.ForgetOverwrittenAsync(ct); // once, on upgrade
        return changed;
    }

    public async Task<Page<DeliveryLog>> ListLogsAsync(Guid workspaceId, Guid webhookId, ListQuery query, CancellationToken ct = default)
    {
        var page = await ListAsync<LogRow>("webhook_logs", QueryColumns.LogSelect, "workspace_id = @WorkspaceId AND webhook_id = @WebhookId",
            new() { ["WorkspaceId"] = db.Dialect.ToParameter(workspaceId), ["WebhookId"] = db.Dialect.ToParameter(webhookId) }, query,
            QueryColumns.Log, ct);
        return new(page.Items.Select(r => r.ToLog()).ToList(), page.Total);
    }

    public async Task<LogDetail?> GetLogAsync(Guid workspaceId, Guid webhookId, Guid logId, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var row = await c.QuerySingleOrDefaultAsync<LogRow>(
            $"""
             SELECT {QueryColumns.LogSelect}, node, (SELECT d.message_id FROM deliveries d WHERE d.id = webhook_logs.delivery_id) AS message_id
             FROM webhook_logs WHERE id = @logId AND workspace_id = @workspaceId AND webhook_id = @webhookId;
             """, new { logId, workspaceId, webhookId });
        return row is null ? null : new LogDetail(row.ToLog(), row.Node, row.MessageId);
    }

    public async Task<IReadOnlyDictionary<Guid, WebhookActivity>> ActivityAsync(Guid workspaceId, DateTimeOffset since, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var rows = await c.QueryAsync<ActivityRow>(
            """
            SELECT w.id AS webhook_id,
              (SELECT COUNT(*) FROM webhook_logs l WHERE l.webhook_id = w.id AND l.created_on >= @since) AS attempts,
              (SELECT COUNT(*) FROM webhook_logs l WHERE l.webhook_id = w.id AND l.created_on >= @since AND l.is_successful) AS succeeded,
              (SELECT MAX(l.created_on) FROM webhook_logs l WHERE l.webhook_id = w.id) AS last_attempt
            FROM webhooks w WHERE w.workspace_id = @workspaceId;
            """, new { workspaceId, since });
        return rows.ToDictionary(r => r.WebhookId, r => new WebhookActivity((int)r.Attempts, (int)r.Succeeded, r.LastAttempt));
    }

    public async Task AddLogsAsync(IReadOnlyList<DeliveryLog> logs, CancellationToken ct = default)
    {
        await using var write = await db.BeginWriteAsync(ct);
        await write.Connection.ExecuteAsync(
            $"""
             INSERT INTO webhook_logs ({LogColumns}) VALUES (@Id, @WorkspaceId, @WebhookId, @EventId, @EventType, @Attempt,
               @Message, @ResponseCode, @Reason, @IsSuccessful, @DurationMs, @ResponseBody, @CreatedOn);
             """, logs, write.Transaction);
        await write.CommitAsync(ct);
    }

    private async Task<Page<TRow>> ListAsync<TRow>(string table, string columns, string scope, Dictionary<string, object?> parameters,
        ListQuery query, IReadOnlyDictionary<string, string> fieldColumns, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return await SqlList.QueryAsync<TRow>(c, table, columns, scope, parameters, query, fieldColumns, db.Dialect);
    }

    private sealed class IdValue
    {
        public Guid Id { get; init; }
        public string Value { get; init; } = "";
    }

    internal class WebhookRow
    {
        public Guid Id { get; init; }
        public Guid WorkspaceId { get; init; }
        public string Name { get; init; } = "";
        public string Uri { get; init; } = "";
        public string? Language { get; init; }
        public string Events { get; init; } = "";
        public bool IsActive { get; init; }
        public bool OnlyMainEntity { get; init; }
        public string AuthenticationType { get; init; } = "";
        public string? Authentication { get; init; }
        public string ReceiverType { get; init; } = "";
        public string? LastFailureReason { get; init; }
        public DateTimeOffset CreatedOn { get; init; }
        public Guid CreatedBy { get; init; }
        public DateTimeOffset UpdatedOn { get; init; }
        public Guid UpdatedBy { get; init; }

        public Webhook ToWebhook() => new(Id, WorkspaceId, Name, Uri, Language, Events, IsActive, OnlyMainEntity, AuthenticationType,
            Authentication, ReceiverType, LastFailureReason, CreatedOn, CreatedBy, UpdatedOn, UpdatedBy);
    }

    private sealed class LogRow
    {
        public Guid Id { get; init; }
        public Guid WorkspaceId { get; init; }
        public Guid WebhookId { get; init; }
        public Guid EventId { get; init; }
        public string EventType { get; init; } = "";
        public int Attempt { get; init; }
        public string? Message { get; init; }
        public int ResponseCode { get; init; }
        public string? Reason { get; init; }
        public bool IsSuccessful { get; init; }
        public int DurationMs { get; init; }
        public string? ResponseBody { get; init; }
        public DateTimeOffset CreatedOn { get; init; }

        public string? Node { get; init; }
        public string? MessageId { get; init; }

        public DeliveryLog ToLog() => new(Id, WorkspaceId, WebhookId, EventId, EventType, Attempt, Message, ResponseCode, Reason,
            IsSuccessful, DurationMs, ResponseBody, CreatedOn);
    }

    private sealed class ActivityRow
    {
        public Guid WebhookId { get; init; }
        public long Attempts { get; init; }
        public long Succeeded { get; init; }
        public DateTimeOffset? LastAttempt { get; init; }
    }
}
