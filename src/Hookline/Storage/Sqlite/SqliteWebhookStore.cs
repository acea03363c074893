using Dapper;
using Hookline.Api.Querying;
using Microsoft.Data.Sqlite;
using static Hookline.Storage.Sqlite.SqliteValues;

namespace Hookline.Storage.Sqlite;

public sealed class SqliteWebhookStore(SqliteDb db, TimeProvider time) : IWebhookStore
{
    private const string Columns =
        "id, workspace_id, name, uri, language, events, is_active, only_main_entity, authentication_type, authentication, " +
        "receiver_type, last_failure_reason, created_on, created_by, updated_on, updated_by";

    private const string LogColumns =
        "id, workspace_id, webhook_id, event_id, event_type, attempt, message, response_code, reason, is_successful, " +
        "duration_ms, response_body, created_on";

    public async Task<Webhook?> GetAsync(Guid workspaceId, Guid id, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var row = await c.QuerySingleOrDefaultAsync<WebhookRow>(
            $"SELECT {Columns} FROM webhooks WHERE workspace_id = @WorkspaceId AND id = @Id;",
            new { WorkspaceId = Id(workspaceId), Id = Id(id) });
        return row?.ToWebhook();
    }

    public async Task<Page<Webhook>> ListAsync(Guid workspaceId, ListQuery query, CancellationToken ct = default)
    {
        var page = await ListAsync<WebhookRow>("webhooks", Columns, "workspace_id = @WorkspaceId",
            new() { ["WorkspaceId"] = Id(workspaceId) }, query, QueryColumns.Webhook, ct);
        return new(page.Items.Select(r => r.ToWebhook()).ToList(), page.Total);
    }

    public async Task InsertAsync(Webhook w, string secret, CancellationToken ct = default)
    {
        await using var writer = await db.BeginWriteAsync(ct);
        var (c, tx) = (writer.Connection, writer.Transaction);
        await c.ExecuteAsync(
            $"""
             INSERT INTO webhooks ({Columns}) VALUES (@Id, @WorkspaceId, @Name, @Uri, @Language, @Events, @IsActive,
               @OnlyMain, @AuthenticationType, @Authentication, @ReceiverType, @LastFailureReason, @CreatedOn, @CreatedBy,
               @UpdatedOn, @UpdatedBy);
             """, Parameters(w), tx);
        await InsertSecretAsync(c, tx, Id(w.Id), secret, Time(w.CreatedOn));
        await tx.CommitAsync(ct);
    }

    private static Task InsertSecretAsync(SqliteConnection c, SqliteTransaction tx, string webhookId, string secret, long now) =>
        c.ExecuteAsync(
            "INSERT INTO webhook_secrets (id, webhook_id, secret, created_on, expires_on) VALUES (@Id, @webhookId, @secret, @now, NULL);",
            new { Id = Id(Guid.NewGuid()), webhookId, secret, now }, tx);

    public async Task<bool> UpdateAsync(Webhook w, CancellationToken ct = default)
    {
        await using var writer = await db.BeginWriteAsync(ct);
        var (c, tx) = (writer.Connection, writer.Transaction);
        var updated = await c.ExecuteAsync(
            """
            UPDATE webhooks SET name = @Name, uri = @Uri, language = @Language, events = @Events, is_active = @IsActive,
              only_main_entity = @OnlyMain, authentication_type = @AuthenticationType, authentication = @Authentication,
              receiver_type = @ReceiverType, updated_on = @UpdatedOn, updated_by = @UpdatedBy
            WHERE workspace_id = @WorkspaceId AND id = @Id;
            """, Parameters(w), tx) == 1;
        if (updated && !w.IsActive) await SqliteDeliveryStore.CancelPendingAsync(c, tx, Id(w.Id), Time(w.UpdatedOn));
        await tx.CommitAsync(ct);
        return updated;
    }

    public async Task<bool> DeleteAsync(Guid workspaceId, Guid id, CancellationToken ct = default)
    {
        await using var writer = await db.BeginWriteAsync(ct);
        var (c, tx) = (writer.Connection, writer.Transaction);
        var args = new { WorkspaceId = Id(workspaceId), Id = Id(id) };
        var deleted = await c.ExecuteAsync("DELETE FROM webhooks WHERE workspace_id = @WorkspaceId AND id = @Id;", args, tx);
        if (deleted == 1)
        {
            await c.ExecuteAsync("DELETE FROM webhook_logs WHERE workspace_id = @WorkspaceId AND webhook_id = @Id;", args, tx);
            await SqliteDeliveryStore.CancelPendingAsync(c, tx, Id(id), Time(time.GetUtcNow()));
        }
        await tx.CommitAsync(ct);
        return deleted == 1;
    }

    public async Task<string?> GetSecretAsync(Guid workspaceId, Guid id, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteScalarAsync<string?>(
            """
            SELECT s.secret FROM webhook_secrets s JOIN webhooks w ON w.id = s.webhook_id
            WHERE w.workspace_id = @WorkspaceId AND w.id = @Id AND s.expires_on IS NULL;
            """, new { WorkspaceId = Id(workspaceId), Id = Id(id) });
    }

    public async Task<bool> RotateSecretAsync(Guid workspaceId, Guid id, string secret, DateTimeOffset now, DateTimeOffset oldExpiresOn,
        CancellationToken ct = default)
    {
        await using var writer = await db.BeginWriteAsync(ct);
        var (c, tx) = (writer.Connection, writer.Transaction);
        var exists = await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM webhooks WHERE workspace_id = @WorkspaceId AND id = @Id;",
            new { WorkspaceId = Id(workspaceId), Id = Id(id) }, tx);
        if (exists == 0) return false;
        var args = new { Id = Id(id), Now = Time(now), Expires = Time(oldExpiresOn) };
        await c.ExecuteAsync("DELETE FROM webhook_secrets WHERE webhook_id = @Id AND expires_on IS NOT NULL AND expires_on <= @Now;", args, tx);
        await c.ExecuteAsync(
            oldExpiresOn > now
                ? "UPDATE webhook_secrets SET expires_on = @Expires WHERE webhook_id = @Id AND expires_on IS NULL;"
                : "DELETE FROM webhook_secrets WHERE webhook_id = @Id AND expires_on IS NULL;", args, tx);
        await InsertSecretAsync(c, tx, Id(id), secret, Time(now));
        await tx.CommitAsync(ct);
        return true;
    }

    public async Task<int> AddMissingSecretsAsync(Func<string> newSecret, DateTimeOffset now, CancellationToken ct = default)
    {
        await using var writer = await db.BeginWriteAsync(ct);
        var (c, tx) = (writer.Connection, writer.Transaction);
        var missing = (await c.QueryAsync<string>(
            "SELECT id FROM webhooks WHERE id NOT IN (SELECT webhook_id FROM webhook_secrets WHERE expires_on IS NULL);", transaction: tx)).AsList();
        foreach (var id in missing) await InsertSecretAsync(c, tx, id, newSecret(), Time(now));
        await tx.CommitAsync(ct);
        return missing.Count;
    }

    public async Task<int> ProtectSecretsAsync(string prefix, Func<string, string> protect, CancellationToken ct = default)
    {
        int changed;
        await using (var writer = await db.BeginWriteAsync(ct))
        {
            var (c, tx) = (writer.Connection, writer.Transaction);
            var args = new { prefix };
            var secrets = (await c.QueryAsync<(string Id, string Value)>(
                "SELECT id, secret FROM webhook_secrets WHERE substr(secret, 1, length(@prefix)) <> @prefix;", args, tx)).AsList();
            var auths = (await c.QueryAsync<(string Id, string Value)>(
                "SELECT id, authentication FROM webhooks WHERE substr(authentication, 1, length(@prefix)) <> @prefix;", args, tx)).AsList();
            foreach (var (id, value) in secrets)
                await c.ExecuteAsync("UPDATE webhook_secrets SET secret = @value WHERE id = @id;", new { id, value = protect(value) }, tx);
            foreach (var (id, value) in auths)
                await c.ExecuteAsync("UPDATE webhooks SET authentication = @value WHERE id = @id;", new { id, value = protect(value) }, tx);
            await tx.CommitAsync(ct);
            changed = secrets.Count + auths.Count;
        }
        if (changed == 0) return 0;
        // The plaintext would linger in freed page space and in the WAL: rebuild the file and empty the WAL (once, on upgrade).
        await using var v = await db.OpenAsync(ct);
        await v.ExecuteAsync("VACUUM;");
        await v.ExecuteAsync("PRAGMA wal_checkpoint(TRUNCATE);");
        return changed;
    }

    public async Task<Page<DeliveryLog>> ListLogsAsync(Guid workspaceId, Guid webhookId, ListQuery query, CancellationToken ct = default)
    {
        var page = await ListAsync<LogRow>("webhook_logs", QueryColumns.LogSelect, "workspace_id = @WorkspaceId AND webhook_id = @WebhookId",
            new() { ["WorkspaceId"] = Id(workspaceId), ["WebhookId"] = Id(webhookId) }, query, QueryColumns.Log, ct);
        return new(page.Items.Select(r => r.ToLog()).ToList(), page.Total);
    }

    public async Task AddLogsAsync(IReadOnlyList<DeliveryLog> logs, CancellationToken ct = default)
    {
        await using var writer = await db.BeginWriteAsync(ct);
        var (c, tx) = (writer.Connection, writer.Transaction);
        await c.ExecuteAsync(
            $"""
             INSERT INTO webhook_logs ({LogColumns}) VALUES (@Id, @WorkspaceId, @WebhookId, @EventId, @EventType, @Attempt,
               @Message, @ResponseCode, @Reason, @IsSuccessful, @DurationMs, @ResponseBody, @CreatedOn);
             """,
            logs.Select(l => new
            {
                Id = Id(l.Id), WorkspaceId = Id(l.WorkspaceId), WebhookId = Id(l.WebhookId), EventId = Id(l.EventId),
                l.EventType, l.Attempt, l.Message, l.ResponseCode, l.Reason, IsSuccessful = l.IsSuccessful ? 1 : 0,
                l.DurationMs, l.ResponseBody, CreatedOn = Time(l.CreatedOn),
            }), tx);
        await tx.CommitAsync(ct);
    }

    private async Task<Page<TRow>> ListAsync<TRow>(string table, string columns, string scope, Dictionary<string, object?> parameters,
        ListQuery query, IReadOnlyDictionary<string, string> fieldColumns, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return await SqlList.QueryAsync<TRow>(c, table, columns, scope, parameters, query, fieldColumns, Dialect.Instance);
    }

    private static object Parameters(Webhook w) => new
    {
        Id = Id(w.Id), WorkspaceId = Id(w.WorkspaceId), w.Name, w.Uri, w.Language, w.Events, IsActive = w.IsActive ? 1 : 0,
        OnlyMain = w.OnlyTriggerForMainEntityChanges ? 1 : 0, w.AuthenticationType, w.Authentication, w.ReceiverType,
        w.LastFailureReason, CreatedOn = Time(w.CreatedOn), CreatedBy = Id(w.CreatedBy), UpdatedOn = Time(w.UpdatedOn),
        UpdatedBy = Id(w.UpdatedBy),
    };

    private sealed class WebhookRow
    {
        public string Id { get; init; } = "";
        public string WorkspaceId { get; init; } = "";
        public string Name { get; init; } = "";
        public string Uri { get; init; } = "";
        public string? Language { get; init; }
        public string Events { get; init; } = "";
        public long IsActive { get; init; }
        public long OnlyMainEntity { get; init; }
        public string AuthenticationType { get; init; } = "";
        public string? Authentication { get; init; }
        public string ReceiverType { get; init; } = "";
        public string? LastFailureReason { get; init; }
        public long CreatedOn { get; init; }
        public string CreatedBy { get; init; } = "";
        public long UpdatedOn { get; init; }
        public string UpdatedBy { get; init; } = "";

        public Webhook ToWebhook() => new(
            Guid.Parse(Id), Guid.Parse(WorkspaceId), Name, Uri, Language, Events, IsActive != 0, OnlyMainEntity != 0,
            AuthenticationType, Authentication, ReceiverType, LastFailureReason, Time(CreatedOn), Guid.Parse(CreatedBy),
            Time(UpdatedOn), Guid.Parse(UpdatedBy));
    }

    private sealed class LogRow
    {
        public string Id { get; init; } = "";
        public string WorkspaceId { get; init; } = "";
        public string WebhookId { get; init; } = "";
        public string EventId { get; init; } = "";
        public string EventType { get; init; } = "";
        public long Attempt { get; init; }
        public string? Message { get; init; }
        public long ResponseCode { get; init; }
        public string? Reason { get; init; }
        public long IsSuccessful { get; init; }
        public long DurationMs { get; init; }
        public string? ResponseBody { get; init; }
        public long CreatedOn { get; init; }

        public DeliveryLog ToLog() => new(
            Guid.Parse(Id), Guid.Parse(WorkspaceId), Guid.Parse(WebhookId), Guid.Parse(EventId), EventType, (int)Attempt, Message,
            (int)ResponseCode, Reason, IsSuccessful != 0, (int)DurationMs, ResponseBody, Time(CreatedOn));
    }
}
