namespace Hookline.Storage;

/// <summary>
/// How a batch of attempt results changes its webhooks, as statements both dialects run in this order after the deliveries
/// and log rows are written. Each is guarded by its result's log row, so a result that was fenced off (another worker owns
/// the delivery now) changes nothing, and no step needs to read anything back before the next is sent.
/// </summary>
public static class ResultSteps
{
    /// <summary>A version 7 id per result: log rows append to the index instead of splitting pages at random.</summary>
    public static Guid[] LogIds(IReadOnlyList<AttemptResult> results) => results.Select(r => Guid.CreateVersion7(r.At)).ToArray();

    /// <summary>
    /// Successes reset their webhook's failure count once per batch, not once each; a failure first applies a pending reset,
    /// so the count still follows the order of the results.
    /// </summary>
    public static List<(string Sql, object Args)> Plan(IReadOnlyList<AttemptResult> results, Guid[] logIds, int pauseAfter)
    {
        var steps = new List<(string, object)>();
        var pendingReset = new Dictionary<Guid, Guid>(); // webhook → log id of its latest success
        for (var i = 0; i < results.Count; i++)
        {
            var (r, webhookId, logId) = (results[i], results[i].Delivery.Target.Id, logIds[i]);
            if (r.Success) { pendingReset[webhookId] = logId; continue; }
            if (pendingReset.Remove(webhookId, out var successLog)) steps.Add((Reset, new { WebhookId = webhookId, LogId = successLog }));
            var args = new { WebhookId = webhookId, LogId = logId, r.Reason, r.PauseReason, PauseAfter = pauseAfter, Paused = r.PauseReason is not null, r.At };
            steps.Add((Failure, args));
            steps.Add((CancelIfPaused, args));
        }
        foreach (var (webhookId, logId) in pendingReset) steps.Add((Reset, new { WebhookId = webhookId, LogId = logId }));
        return steps;
    }

    private const string Applied = "EXISTS (SELECT 1 FROM webhook_logs l WHERE l.id = @LogId)";

    private const string Reset =
        $"UPDATE webhooks SET consecutive_failures = 0 WHERE id = @WebhookId AND consecutive_failures <> 0 AND {Applied};";

    /// <summary>Counts the failure and pauses the webhook on a pause reason or the count reaching @PauseAfter; a paused webhook keeps its reason.</summary>
    private const string Failure =
        $"""
         UPDATE webhooks SET consecutive_failures = consecutive_failures + 1,
           last_failure_reason = CASE
             WHEN is_active = FALSE THEN last_failure_reason
             WHEN @PauseReason IS NOT NULL THEN @PauseReason
             WHEN consecutive_failures + 1 >= @PauseAfter THEN
               'Paused after ' || CAST(consecutive_failures + 1 AS TEXT) || ' consecutive failed attempts. Last failure: ' || COALESCE(@Reason, '')
             ELSE @Reason END,
           is_active = (is_active = TRUE AND @PauseReason IS NULL AND consecutive_failures + 1 < @PauseAfter)
         WHERE id = @WebhookId AND {Applied};
         """;

    /// <summary>Cancels the queue of a webhook this failure paused. Leases stay, so an attempt in flight still records its log row.</summary>
    private static readonly string CancelIfPaused = Cancel(
        $"""
         webhook_id = @WebhookId AND {Applied}
           AND EXISTS (SELECT 1 FROM webhooks w WHERE w.id = @WebhookId AND w.is_active = FALSE
                       AND (@Paused = TRUE OR w.consecutive_failures = @PauseAfter))
         """);

    /// <summary>Cancels a webhook's queue (deactivated or deleted). Leases stay, as above.</summary>
    public static readonly string CancelPending = Cancel("webhook_id = @WebhookId");

    /// <summary>
    /// The deliveries queued where <paramref name="condition"/> holds are cancelled; their queue rows leave, except those of
    /// attempts in flight, which stay without a due time until the attempt is recorded (or pruning finds the lease long gone).
    /// </summary>
    private static string Cancel(string condition) =>
        $"""
         UPDATE deliveries SET status = 3, completed_on = @At
         WHERE status = 0 AND id IN (SELECT delivery_id FROM delivery_queue WHERE due_at IS NOT NULL AND {condition});
         DELETE FROM delivery_queue WHERE lease_until IS NULL AND {condition};
         UPDATE delivery_queue SET due_at = NULL WHERE due_at IS NOT NULL AND {condition};
         """;
}
