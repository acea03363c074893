using Dapper;
using Microsoft.Data.Sqlite;

namespace Hookline.Storage.Sqlite;

public sealed partial class SqliteDialect
{
    /// <summary>Two statements prepared once per batch and bound per result (SQLite parses each once), then the webhook steps.</summary>
    public override async Task<int> RecordResultsAsync(SqlWrite write, IReadOnlyList<AttemptResult> results, int pauseAfter, string node,
        CancellationToken ct)
    {
        var (c, tx) = ((SqliteConnection)write.Connection, (SqliteTransaction)write.Transaction);
        var logIds = ResultSteps.LogIds(results);
        await using var finish = Prepared(c, tx,
            """
            UPDATE deliveries SET attempts = attempts + 1, lease_until = NULL, lease_token = NULL,
              status = CASE WHEN status <> 0 THEN status WHEN @Success = 1 THEN 1 WHEN @RetryAt IS NOT NULL THEN 0 ELSE 2 END,
              due_at = CASE WHEN status = 0 AND @RetryAt IS NOT NULL THEN @RetryAt ELSE due_at END,
              completed_on = CASE WHEN status <> 0 THEN completed_on WHEN @Success = 1 OR @RetryAt IS NULL THEN @At ELSE NULL END
            WHERE id = @Id AND lease_token = @Token;
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
            Bind(finish, "@Id", d.Id);
            Bind(finish, "@Token", d.LeaseToken);
            Bind(finish, "@Success", r.Success);
            Bind(finish, "@RetryAt", r.RetryAt is { } retry ? SqlValues.Millis(retry) : null);
            Bind(finish, "@At", SqlValues.Millis(r.At));
            if (await finish.ExecuteNonQueryAsync(ct) == 0) continue; // fenced: another worker owns this delivery now
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
        return applied;
    }
}
