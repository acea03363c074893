using Dapper;
using Hookline.Api.Querying;
using static Hookline.Storage.Sqlite.SqliteValues;

namespace Hookline.Storage.Sqlite;

public sealed class SqliteWebhookStore(SqliteDb db) : IWebhookStore
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

    public async Task InsertAsync(Webhook w, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        await c.ExecuteAsync(
            $"""
             INSERT INTO webhooks ({Columns}) VALUES (@Id, @WorkspaceId, @Name, @Uri, @Language, @Events, @IsActive,
               @OnlyMain, @AuthenticationType, @Authentication, @ReceiverType, @LastFailureReason, @CreatedOn, @CreatedBy,
               @UpdatedOn, @UpdatedBy);
             """, Parameters(w));
    }

    public async Task<bool> UpdateAsync(Webhook w, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteAsync(
            """
            UPDATE webhooks SET name = @Name, uri = @Uri, language = @Language, events = @Events, is_active = @IsActive,
              only_main_entity = @OnlyMain, authentication_type = @AuthenticationType, authentication = @Authentication,
              receiver_type = @ReceiverType, updated_on = @UpdatedOn, updated_by = @UpdatedBy
            WHERE workspace_id = @WorkspaceId AND id = @Id;
            """, Parameters(w)) == 1;
    }

    public async Task<bool> DeleteAsync(Guid workspaceId, Guid id, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        await using var tx = c.BeginTransaction(deferred: false);
        var args = new { WorkspaceId = Id(workspaceId), Id = Id(id) };
        var deleted = await c.ExecuteAsync("DELETE FROM webhooks WHERE workspace_id = @WorkspaceId AND id = @Id;", args, tx);
        if (deleted == 1)
            await c.ExecuteAsync("DELETE FROM webhook_logs WHERE workspace_id = @WorkspaceId AND webhook_id = @Id;", args, tx);
        await tx.CommitAsync(ct);
        return deleted == 1;
    }

    public async Task<Page<DeliveryLog>> ListLogsAsync(Guid workspaceId, Guid webhookId, ListQuery query, CancellationToken ct = default)
    {
        var page = await ListAsync<LogRow>("webhook_logs", LogColumns, "workspace_id = @WorkspaceId AND webhook_id = @WebhookId",
            new() { ["WorkspaceId"] = Id(workspaceId), ["WebhookId"] = Id(webhookId) }, query, QueryColumns.Log, ct);
        return new(page.Items.Select(r => r.ToLog()).ToList(), page.Total);
    }

    public async Task AddLogsAsync(IReadOnlyList<DeliveryLog> logs, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        await using var tx = c.BeginTransaction(deferred: false);
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

    /// <summary>One paged, filtered, ordered SELECT plus its COUNT; user input reaches SQL only as parameters.</summary>
    private async Task<Page<TRow>> ListAsync<TRow>(string table, string columns, string scope, Dictionary<string, object?> parameters,
        ListQuery query, IReadOnlyDictionary<string, string> fieldColumns, CancellationToken ct)
    {
        string Column(QueryField f) => fieldColumns[f.Name];
        var where = scope;
        if (query.Filter is not null) where += " AND " + SqlFilter.Where(query.Filter, Column, Dialect.Instance, parameters);
        var orderBy = SqlFilter.OrderBy(query.Order, Column, "id ASC");
        parameters["Limit"] = query.PageSize;
        parameters["Offset"] = query.Offset;

        await using var c = await db.OpenAsync(ct);
        var args = new DynamicParameters(parameters);
        var total = await c.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM {table} WHERE {where};", args);
        var items = total == 0 ? [] : (await c.QueryAsync<TRow>(
            $"SELECT {columns} FROM {table} WHERE {where} ORDER BY {orderBy} LIMIT @Limit OFFSET @Offset;", args)).AsList();
        return new(items, total);
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
