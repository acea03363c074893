using System.Data;
using System.Text.RegularExpressions;
using Dapper;

namespace Hookline.Storage.Postgres;

public sealed partial class PostgresDialect
{
    /// <summary>
    /// The queue is reached by its key from the batch's ids (<c>= ANY(@Ids)</c>), not by a join the planner orders: with the
    /// queue's statistics at one row (most likely from one of our VACUUMs while it was empty) and a burst in it, the planner
    /// read all of the queue for each of the batch's rows (auto_explain: 98,209 rows × 256, 25 million comparisons, 8.9 s for
    /// one batch); the results not recorded kept their leases, so claims walked past 98,000 leased rows as well (throughput
    /// 1.7k deliveries/s in that run; full run 15 showed the same two slow statements at 2.7k).
    /// One round trip for the batch: the queue rows (a retry stays, with its new time; anything else leaves), the deliveries
    /// and the log rows in one statement over arrays, then the webhook steps and the reads of what they made due, sent
    /// together (PostgreSQL runs them in order; each sees what the ones before it wrote).
    /// </summary>
    public override async Task<Recorded> RecordResultsAsync(SqlWrite write, IReadOnlyList<AttemptResult> results, int pauseAfter, string node,
        CancellationToken ct)
    {
        var logIds = ResultSteps.LogIds(results);
        var sql = new System.Text.StringBuilder(
            """
            WITH r AS (
              SELECT * FROM unnest(@Ids, @Tokens, @Successes, @RetryAts, @Ats, @LogIds, @Workspaces, @Webhooks, @Events, @Types,
                @Attempts, @Messages, @Codes, @Reasons, @Durations, @Bodies)
                AS r(id, token, success, retry_at, at, log_id, workspace_id, webhook_id, event_id, event_type,
                  attempt, message, response_code, reason, duration_ms, response_body)),
            retried AS (
              UPDATE delivery_queue q SET due_at = r.retry_at, lease_until = NULL, lease_token = NULL, leased_by = NULL, hold = 0
              FROM r WHERE q.delivery_id = ANY(@Ids) AND q.delivery_id = r.id AND q.lease_token = r.token AND q.due_at IS NOT NULL
                AND NOT r.success AND r.retry_at IS NOT NULL
              RETURNING q.delivery_id AS id, TRUE AS pending),
            removed AS (
              DELETE FROM delivery_queue q USING r
              WHERE q.delivery_id = ANY(@Ids) AND q.delivery_id = r.id AND q.lease_token = r.token AND (q.due_at IS NULL OR r.success OR r.retry_at IS NULL)
              RETURNING q.delivery_id AS id, FALSE AS pending),
            applied AS (SELECT * FROM retried UNION ALL SELECT * FROM removed),
            done AS (
              UPDATE deliveries d SET attempts = d.attempts + 1,
                status = CASE WHEN d.status <> 0 THEN d.status WHEN a.pending THEN 0 WHEN r.success THEN 1 ELSE 2 END,
                due_at = CASE WHEN a.pending THEN r.retry_at ELSE d.due_at END,
                completed_on = CASE WHEN d.status <> 0 THEN d.completed_on WHEN a.pending THEN NULL ELSE r.at END
              FROM r JOIN applied a ON a.id = r.id WHERE d.id = r.id
              RETURNING d.id)
            INSERT INTO webhook_logs (id, workspace_id, webhook_id, event_id, event_type, attempt, message, response_code, reason,
              is_successful, duration_ms, response_body, created_on, delivery_id, node)
            SELECT r.log_id, r.workspace_id, r.webhook_id, r.event_id, r.event_type, r.attempt, r.message, r.response_code, r.reason,
              r.success, r.duration_ms, r.response_body, r.at, r.id, @Node
            FROM r JOIN done ON done.id = r.id
            RETURNING 1;
            """);
        var args = new DynamicParameters(new
        {
            Ids = results.Select(r => r.Delivery.Id).ToArray(), Tokens = results.Select(r => r.Delivery.LeaseToken).ToArray(),
            Successes = results.Select(r => r.Success).ToArray(), RetryAts = results.Select(r => Utc(r.RetryAt)).ToArray(),
            Ats = results.Select(r => Utc(r.At)).ToArray(), LogIds = logIds,
            Workspaces = results.Select(r => r.Delivery.Target.WorkspaceId).ToArray(), Webhooks = results.Select(r => r.Delivery.Target.Id).ToArray(),
            Events = results.Select(r => r.Delivery.EventId).ToArray(), Types = results.Select(r => r.Delivery.EventType).ToArray(),
            Attempts = results.Select(r => r.Delivery.Attempt).ToArray(), Messages = results.Select(r => r.StoredMessage).ToArray(),
            Codes = results.Select(r => r.ResponseCode).ToArray(), Reasons = results.Select(r => r.Reason).ToArray(),
            Durations = results.Select(r => r.DurationMs).ToArray(), Bodies = results.Select(r => r.ResponseBody).ToArray(), Node = node,
        });
        var steps = ResultSteps.Plan(results, logIds, pauseAfter);
        for (var i = 0; i < steps.Count; i++)
        {
            // One command text for all: each step's parameters get the step's number, so that their names stay apart.
            sql.Append('\n').Append(Parameter().Replace(steps[i].Sql, m => $"{m.Value}_{i}"));
            foreach (var property in steps[i].Args.GetType().GetProperties())
                args.Add($"{property.Name}_{i}", Utc(property.GetValue(steps[i].Args)),
                    property.PropertyType == typeof(string) ? DbType.String : null); // a null reason still needs its type
        }
        sql.Append('\n').Append(ResultSteps.AlertReads(this));
        args.AddDynamicParams(ResultSteps.AlertArgs(this, results, logIds));
        await using var reads = await write.Connection.QueryMultipleAsync(new CommandDefinition(sql.ToString(), args, write.Transaction, cancellationToken: ct));
        var applied = (await reads.ReadAsync<int>()).Count();
        return await ResultSteps.ReadAlertsAsync(reads, applied, results, logIds);
    }

    private static object? Utc(object? value) => value is DateTimeOffset t ? t.ToUniversalTime() : value;

    [GeneratedRegex(@"@[A-Za-z]+\b")]
    private static partial Regex Parameter();
}
