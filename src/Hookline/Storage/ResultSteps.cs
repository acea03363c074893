using Dapper;

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
        var (first, second) = WarningsAt(pauseAfter);
        var pendingReset = new Dictionary<Guid, Guid>(); // webhook → log id of its latest success
        for (var i = 0; i < results.Count; i++)
        {
            var (r, webhookId, logId) = (results[i], results[i].Delivery.Target.Id, logIds[i]);
            if (r.Success) { pendingReset[webhookId] = logId; continue; }
            if (pendingReset.Remove(webhookId, out var successLog)) steps.Add((Reset, new { WebhookId = webhookId, LogId = successLog }));
            steps.Add((Failure, new
            {
                WebhookId = webhookId, LogId = logId, r.Reason, r.PauseReason, PauseAfter = pauseAfter, FirstWarning = first, SecondWarning = second,
            }));
        }
        foreach (var (webhookId, logId) in pendingReset) steps.Add((Reset, new { WebhookId = webhookId, LogId = logId }));
        for (var i = 0; i < results.Count; i++)
        {
            var (r, d) = (results[i], results[i].Delivery);
            if (DeliveryLimits.Cap(d.Target.Policy) is null) continue;
            var args = new { WebhookId = d.Target.Id, DeliveryId = d.Id, LogId = logIds[i], r.At, Until = (r.RetryAt ?? r.At) + KeptPlace };
            // A fifo webhook's delivery keeps its place through its retries; anything else frees its place in flight.
            steps.Add(!d.Target.Policy.Fifo ? (FreePlace, args) : !r.Success && r.RetryAt is not null ? (KeepPlace, args) : (NextInLine, args));
        }
        return steps;
    }

    /// <summary>
    /// The consecutive failures at which a failing webhook is announced (<c>webhook_failing</c>): half and four fifths of
    /// <paramref name="pauseAfter"/>, rounded up; a warning that would come with the pause, or with the one before it, is left out
    /// (<see cref="int.MaxValue"/>: never).
    /// </summary>
    public static (int First, int Second) WarningsAt(int pauseAfter)
    {
        int At(double share) => (int)Math.Ceiling(pauseAfter * share) is var n && n >= 1 && n < pauseAfter ? n : int.MaxValue;
        var (first, second) = (At(0.5), At(0.8));
        return (first, second > first ? second : int.MaxValue);
    }

    private const string Applied = "EXISTS (SELECT 1 FROM webhook_logs l WHERE l.id = @LogId)";

    /// <summary>How long past its retry a fifo delivery's place is kept should nobody claim it (its claim renews it).</summary>
    private static readonly TimeSpan KeptPlace = TimeSpan.FromHours(1);

    /// <summary>
    /// A delivery of a webhook with a concurrency limit is done: its place in flight goes to the first one parked.
    /// </summary>
    private static readonly string FreePlace = Release(DeliveryLimits.FirstParked("1"));

    /// <summary>A fifo webhook's delivery is done: the next in event order may go, if it was parked.</summary>
    private static readonly string NextInLine = Release(DeliveryLimits.FifoHead);

    /// <summary>
    /// Frees the delivery's place in flight and lets <paramref name="next"/> (a query for one delivery id) go if it was parked.
    /// The webhook's row is locked first, as a claim's <see cref="DeliveryLimits"/> does: otherwise a claim on another node
    /// could still count this delivery as in flight and park one that nothing would then let go.
    /// </summary>
    private static string Release(string next) =>
        $"""
         UPDATE webhooks SET paced_until = paced_until WHERE id = @WebhookId AND {Applied};
         DELETE FROM webhook_leases WHERE webhook_id = @WebhookId AND delivery_id = @DeliveryId AND {Applied};
         UPDATE delivery_queue SET hold = 0, due_at = @At WHERE delivery_id = ({next}) AND hold = {DeliveryLimits.Parked} AND {Applied};
         """;

    private const string KeepPlace =
        $"UPDATE webhook_leases SET lease_until = @Until WHERE webhook_id = @WebhookId AND delivery_id = @DeliveryId AND {Applied};";

    /// <summary>
    /// The success also ends a failing streak that was announced (alert_state not 0; a paused webhook's, once it is resumed):
    /// <c>webhook_recovered</c> is due. A success while paused (an attempt that was in flight) resets only the count.
    /// </summary>
    private static readonly string Reset =
        $"""
         UPDATE webhooks SET consecutive_failures = 0,
           alerts_due = alerts_due | CASE WHEN is_active = TRUE AND alert_state <> 0 THEN {(int)WebhookAlerts.Recovered} ELSE 0 END,
           alert_state = CASE WHEN is_active = TRUE THEN 0 ELSE alert_state END
         WHERE id = @WebhookId AND (consecutive_failures <> 0 OR (is_active = TRUE AND alert_state <> 0)) AND {Applied};
         """;

    /// <summary>What this failure reaches, as alert bits: the pause (4), else the second (1 and 2) or the first warning (1).</summary>
    private const string Reached =
        """
        (CASE WHEN is_active = FALSE THEN 0
              WHEN @PauseReason IS NOT NULL OR consecutive_failures + 1 >= @PauseAfter THEN 4
              WHEN consecutive_failures + 1 >= @SecondWarning THEN 3
              WHEN consecutive_failures + 1 >= @FirstWarning THEN 1
              ELSE 0 END)
        """;

    /// <summary>
    /// Counts the failure and pauses the webhook on a pause reason or the count reaching @PauseAfter; a paused webhook keeps its
    /// reason. A warning is due once per streak (alert_state remembers it was sent); a pause is due each time it happens.
    /// </summary>
    private const string Failure =
        $"""
         UPDATE webhooks SET consecutive_failures = consecutive_failures + 1,
           last_failure_reason = CASE
             WHEN is_active = FALSE THEN last_failure_reason
             WHEN @PauseReason IS NOT NULL THEN @PauseReason
             WHEN consecutive_failures + 1 >= @PauseAfter THEN
               'Paused after ' || CAST(consecutive_failures + 1 AS TEXT) || ' consecutive failed attempts. Last failure: ' || COALESCE(@Reason, '')
             ELSE @Reason END,
           is_active = (is_active = TRUE AND @PauseReason IS NULL AND consecutive_failures + 1 < @PauseAfter),
           alert_state = alert_state | {Reached},
           alerts_due = alerts_due | ({Reached} & ~alert_state & 3) | ({Reached} & 4)
         WHERE id = @WebhookId AND {Applied};
         """;

    /// <summary>
    /// Read after the steps, in the same transaction: the batch's webhooks with operational events due, or with a delivery
    /// that may have been exhausted, then which of those deliveries were (their result applied, and they ended exhausted).
    /// </summary>
    public static string AlertReads(SqlDialect d) =>
        $"""
         SELECT {WebhookStore.Columns}, consecutive_failures, alerts_due FROM webhooks
         WHERE {d.In("id", "@AlertWebhooks")} AND (alerts_due <> 0 OR {d.In("id", "@ExhaustWebhooks")});
         SELECT l.id FROM webhook_logs l JOIN deliveries x ON x.id = l.delivery_id WHERE {d.In("l.id", "@ExhaustLogs")} AND x.status = 2;
         """;

    public static object AlertArgs(SqlDialect d, IReadOnlyList<AttemptResult> results, Guid[] logIds)
    {
        var spent = Enumerable.Range(0, results.Count).Where(i => !results[i].Success && results[i].RetryAt is null).ToList();
        return new
        {
            AlertWebhooks = d.Values(results.Select(r => r.Delivery.Target.Id).Distinct()),
            ExhaustWebhooks = d.Values(spent.Select(i => results[i].Delivery.Target.Id).Distinct()),
            ExhaustLogs = d.Values(spent.Select(i => logIds[i])),
        };
    }

    /// <summary>Reads what <see cref="AlertReads"/> returns into the batch's <see cref="Recorded"/>.</summary>
    public static async Task<Recorded> ReadAlertsAsync(SqlMapper.GridReader reads, int applied, IReadOnlyList<AttemptResult> results, Guid[] logIds)
    {
        var webhooks = (await reads.ReadAsync<AlertRow>()).ToDictionary(w => w.Id);
        var exhaustedLogs = (await reads.ReadAsync<Guid>()).ToHashSet();
        var alerts = webhooks.Values.Where(w => w.AlertsDue != 0)
            .Select(w => new WebhookAlert(w.ToWebhook(), w.ConsecutiveFailures, (WebhookAlerts)w.AlertsDue)).ToList();
        var exhausted = Enumerable.Range(0, results.Count)
            .Where(i => exhaustedLogs.Contains(logIds[i]) && webhooks.ContainsKey(results[i].Delivery.Target.Id))
            .Select(i => (Result: results[i], Row: webhooks[results[i].Delivery.Target.Id]))
            .Select(x => new ExhaustedDelivery(x.Result, x.Row.ToWebhook(), x.Row.ConsecutiveFailures)).ToList();
        return new(applied, alerts, exhausted);
    }

    private sealed class AlertRow : WebhookStore.WebhookRow
    {
        public int ConsecutiveFailures { get; init; }
        public int AlertsDue { get; init; }
    }

    /// <summary>
    /// Cancels a webhook's queue (deactivated, deleted, or resumed with some of its paused queue left). Leases stay, so an
    /// attempt in flight still records its log row.
    /// </summary>
    public static string CancelPending(SqlDialect d) => d.CancelQueued("webhook_id = @WebhookId");

    /// <summary>How many of a paused webhook's queued deliveries one transaction cancels.</summary>
    public const int CancelAtOnce = 500;

    /// <summary>
    /// The next <see cref="CancelAtOnce"/> queued deliveries of webhook @WebhookId past @After, in id order, while it is inactive:
    /// a resume stops the cancelling of its paused queue.
    /// </summary>
    public static readonly string QueuedOfInactive =
        $"""
         SELECT q.delivery_id FROM delivery_queue q
         WHERE q.webhook_id = @WebhookId AND q.due_at IS NOT NULL AND q.delivery_id > @After
           AND EXISTS (SELECT 1 FROM webhooks w WHERE w.id = @WebhookId AND w.is_active = FALSE)
         ORDER BY q.delivery_id LIMIT {CancelAtOnce};
         """;

    /// <summary>Cancels the queued deliveries @Ids of webhook @WebhookId, as <see cref="CancelPending"/> does its whole queue.</summary>
    public static string CancelSome(SqlDialect d) => d.CancelQueued($"webhook_id = @WebhookId AND {d.In("delivery_id", "@Ids")}");
}

/// <summary>A batch of results as recorded: how many applied, and the operational events they made due.</summary>
public sealed record Recorded(int Applied, IReadOnlyList<WebhookAlert> Alerts, IReadOnlyList<ExhaustedDelivery> Exhausted);
