using Dapper;
using Microsoft.Data.Sqlite;

namespace Hookline.Storage.Sqlite;

public sealed partial class SqliteDialect
{
    /// <summary>
    /// Statements prepared once per batch and bound per result (SQLite parses each once), then the webhook steps and the reads
    /// of what they made due.
    /// </summary>
    public override async Task<Recorded> RecordResultsAsync(SqlWrite write, IReadOnlyList<AttemptResult> results, int pauseAfter, string node,
        CancellationToken ct)
    {
        var (c, tx) = ((SqliteConnection)write.Connection, (SqliteTransaction)write.Transaction);
        var logIds = ResultSteps.LogIds(results);
        // The queue row first, fenced by the lease token: a retry keeps it with its new time, anything else removes it.
        await using var retry = Prepared(c, tx,
            """
            UPDATE delivery_queue SET due_at = @RetryAt, lease_until = NULL, lease_token = NULL, leased_by = NULL, hold = 0
            WHERE delivery_id = @Id AND lease_token = @Token AND due_at IS NOT NULL;
            """);
        await using var remove = Prepared(c, tx, "DELETE FROM delivery_queue WHERE delivery_id = @Id AND lease_token = @Token;");
        await using var finish = Prepared(c, tx,
            """
            UPDATE deliveries SET attempts = attempts + 1,
              status = CASE WHEN status <> 0 THEN status WHEN @Pending = 1 THEN 0 WHEN @Success = 1 THEN 1 ELSE 2 END,
              due_at = CASE WHEN @Pending = 1 THEN @RetryAt ELSE due_at END,
              completed_on = CASE WHEN status <> 0 THEN completed_on WHEN @Pending = 1 THEN NULL ELSE @At END
            WHERE id = @Id;
            """);
        await using var log = Prepared(c, tx,
            """
            INSERT INTO webhook_logs (id, workspace_id, webhook_id, event_id, event_type, attempt, message, response_code, reason,
              is_successful, duration_ms, response_body, created_on, delivery_id, node)
            VALUES (@LogId, @WorkspaceId, @WebhookId, @EventId, @EventType, @Attempt, @Message, @ResponseCode, @Reason,
              @Success, @DurationMs, @ResponseBody, @At, @Id, @Node);
            """);
        var applied = 0;
        for (var i = 0; i < results.Count; i++)
        {
            var (r, d) = (results[i], results[i].Delivery);
            var retryAt = r.RetryAt is { } at && !r.Success ? SqlValues.Millis(at) : (long?)null;
            foreach (var command in new[] { retry, remove })
            {
                Bind(command, "@Id", d.Id);
                Bind(command, "@Token", d.LeaseToken);
            }
            Bind(retry, "@RetryAt", retryAt);
            var pending = retryAt is not null && await retry.ExecuteNonQueryAsync(ct) == 1;
            if (!pending && await remove.ExecuteNonQueryAsync(ct) == 0) continue; // fenced: another worker owns this delivery now
            Bind(finish, "@Id", d.Id);
            Bind(finish, "@Pending", pending);
            Bind(finish, "@Success", r.Success);
            Bind(finish, "@RetryAt", retryAt);
            Bind(finish, "@At", SqlValues.Millis(r.At));
            await finish.ExecuteNonQueryAsync(ct);
            applied++;
            foreach (var (name, value) in new (string, object?)[]
            {
                ("@LogId", SqlValues.Text(logIds[i])), ("@WorkspaceId", SqlValues.Text(d.Target.WorkspaceId)), ("@WebhookId", SqlValues.Text(d.Target.Id)),
                ("@EventId", SqlValues.Text(d.EventId)), ("@EventType", d.EventType), ("@Attempt", d.Attempt), ("@Message", r.StoredMessage),
                ("@ResponseCode", r.ResponseCode), ("@Reason", r.Reason), ("@Success", r.Success), ("@DurationMs", r.DurationMs),
                ("@ResponseBody", r.ResponseBody), ("@At", SqlValues.Millis(r.At)), ("@Id", d.Id), ("@Node", node),
            }) Bind(log, name, value);
            await log.ExecuteNonQueryAsync(ct);
        }
        foreach (var (sql, args) in ResultSteps.Plan(results, logIds, pauseAfter)) await c.ExecuteAsync(sql, args, tx);
        await using var reads = await c.QueryMultipleAsync(ResultSteps.AlertReads(this), ResultSteps.AlertArgs(this, results, logIds), tx);
        return await ResultSteps.ReadAlertsAsync(reads, applied, results, logIds);
    }
}
