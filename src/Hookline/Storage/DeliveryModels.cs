namespace Hookline.Storage;

// Rows of the delivery pipeline: events in, deliveries claimed, attempts recorded.

/// <param name="TraceParent">The W3C traceparent of the span that took the event in, when tracing is on; its attempts link to it.</param>
/// <param name="About">The webhook an operational event is about: it is never delivered to that webhook itself.</param>
public sealed record NewEvent(Guid Id, Guid WorkspaceId, string EventType, bool IsMainEntityChange, string Payload, DateTimeOffset CreatedOn,
    string? TraceParent = null, Guid? About = null);

public sealed record IngestedEvent(Guid Id, int Deliveries);

/// <summary>An <c>Idempotency-Key</c>: a repeat inside the window replays the first answer; another body is refused.</summary>
public sealed record IdempotencyKey(string Scope, string Key, string RequestHash, DateTimeOffset CreatedOn, DateTimeOffset NotBefore);

public enum IngestStatus { Accepted, Replayed, KeyReused }

public sealed record IngestOutcome(IngestStatus Status, string Response);

public enum DeliveryStatus { Pending = 0, Succeeded = 1, Exhausted = 2, Cancelled = 3 }

/// <summary>Where and how a webhook wants its deliveries; secrets newest first.</summary>
public sealed record WebhookTarget(
    Guid Id, Guid WorkspaceId, string Uri, string ReceiverType, string? Language, string AuthenticationType,
    string? Authentication, IReadOnlyList<string> Secrets, DeliveryPolicy? Policy = null)
{
    public DeliveryPolicy Policy { get; init; } = Policy ?? DeliveryPolicy.Default;

    /// <summary>False for a paused or deactivated webhook whose queue is still being cancelled: a claim cancels what it meets of it.</summary>
    public bool IsActive { get; init; } = true;
}

/// <summary>A delivery this worker holds a lease on. <see cref="LeaseToken"/> fences its result.</summary>
public sealed record ClaimedDelivery(
    long Id, string MessageId, Guid EventId, string EventType, string Payload, int Attempt, int MaxAttempts, long LeaseToken,
    WebhookTarget Target, string? TraceParent = null);

/// <summary>
/// What a claim leased to send now. <paramref name="Drained"/>: its statement found fewer due than it asked for (before limits
/// and rooms kept any back), so nothing more is due now but what it passed by or another node holds. <paramref name="NextDue"/>:
/// when the next delivery not in flight is due (null: none), read in the claim's own round trip as the claim left the queue;
/// known only when <paramref name="NextDueKnown"/> (a claim whose limits gave deliveries back after it does not know).
/// </summary>
public sealed record DeliveryClaim(IReadOnlyList<ClaimedDelivery> Deliveries, bool Drained, bool NextDueKnown = false, DateTimeOffset? NextDue = null);

/// <summary>What one attempt did, and what follows from it.</summary>
public sealed record AttemptResult(
    ClaimedDelivery Delivery, bool Success, int ResponseCode, string? Reason, string Message, string? ResponseBody,
    int DurationMs, DateTimeOffset At, DateTimeOffset? RetryAt, string? PauseReason)
{
    /// <summary>
    /// What the log row stores as its message: null when the message is the event's payload exactly (custom receivers),
    /// because the event already holds it and the log reads it from there (<see cref="QueryColumns.LogMessage"/>).
    /// Writing 1 KB again per attempt was most of the bytes each delivery wrote.
    /// </summary>
    public string? StoredMessage => string.Equals(Message, Delivery.Payload, StringComparison.Ordinal) ? null : Message;
}

/// <summary>The operational events a webhook's results made due, as bits of the webhooks.alerts_due column.</summary>
[Flags]
public enum WebhookAlerts { None = 0, FirstWarning = 1, SecondWarning = 2, Paused = 4, Recovered = 8 }

/// <summary>A webhook whose results made operational events due: its row after those results, and its failure count.</summary>
public sealed record WebhookAlert(Webhook Webhook, int ConsecutiveFailures, WebhookAlerts Due);

/// <summary>A delivery whose last attempt was just used up, with its webhook and that webhook's failure count as they stand.</summary>
public sealed record ExhaustedDelivery(AttemptResult Result, Webhook Webhook, int ConsecutiveFailures);

/// <summary>
/// Turns what a batch of results made due into events of the webhooks' workspaces (Delivery/OperationalEvents.cs). The store
/// publishes them in the results' own transaction, so each is published exactly once, and only for results that applied.
/// </summary>
public interface IAnnouncer
{
    /// <summary>Attempts each operational event's deliveries get.</summary>
    int MaxAttempts { get; }

    /// <summary>The events, one per due alert and per exhausted delivery, each naming the webhook it is about.</summary>
    IReadOnlyList<NewEvent> Compose(IReadOnlyList<WebhookAlert> alerts, IReadOnlyList<ExhaustedDelivery> exhausted, int pauseAfter);

    /// <summary>Called once the events are committed with <paramref name="deliveries"/> deliveries queued.</summary>
    void Queued(int deliveries);
}

public sealed record DeliveryState(long Id, string MessageId, Guid WebhookId, DeliveryStatus Status, int Attempts, int MaxAttempts,
    DateTimeOffset DueAt, DateTimeOffset? LeaseUntil);

public sealed record PruneResult(int Logs, int Deliveries, int Events, int IdempotencyKeys);
