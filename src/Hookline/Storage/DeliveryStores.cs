namespace Hookline.Storage;

public interface IEventStore
{
    /// <summary>
    /// Commits the events and one pending delivery per matching webhook (active, subscribed, and not restricted to
    /// main-entity changes when the event is not one) in one transaction. With a key, a repeat replays the stored answer.
    /// </summary>
    Task<IngestOutcome> IngestAsync(IReadOnlyList<NewEvent> events, IdempotencyKey? key, int maxAttempts,
        Func<IReadOnlyList<IngestedEvent>, string> response, CancellationToken ct = default);
}

public interface IDeliveryStore
{
    /// <summary>
    /// Leases up to <paramref name="max"/> due deliveries whose lease is free or expired. Slack webhooks are paced: at
    /// most one delivery each per <paramref name="slackPacing"/>; the rest of a burst waits its turn. The lease records <paramref name="node"/>.
    /// What the claim takes for a webhook named in <paramref name="rooms"/> beyond its room (a troubled webhook's share on this node)
    /// is parked instead, until <see cref="LetGoAsync"/> lets it go or <see cref="DeliveryLimits.CongestedFallback"/> passes; a
    /// webhook whose room is 0 is passed by. Whether it found all that is due, and when a claim that did finds the next due
    /// (<see cref="NextDueAsync"/>'s look, in the claim's own round trip), come with it.
    /// </summary>
    Task<DeliveryClaim> ClaimAsync(int max, DateTimeOffset now, TimeSpan lease, TimeSpan slackPacing, string node,
        IReadOnlyDictionary<Guid, int>? rooms = null, CancellationToken ct = default);

    /// <summary>
    /// Parks the front of a troubled webhook's due backlog (<see cref="DeliveryLimits.ParkAtOnce"/> at most, the first due first),
    /// so that claims no longer pass it by; how many it parked.
    /// </summary>
    Task<int> ParkAsync(Guid webhookId, DateTimeOffset now, CancellationToken ct = default);

    /// <summary>
    /// Parks deliveries this node claimed and will not send now (a webhook's first share is all it sends before its receiver is
    /// known), as a claim parks what it takes beyond a room.
    /// </summary>
    Task ParkClaimedAsync(IReadOnlyList<long> deliveryIds, DateTimeOffset now, CancellationToken ct = default);

    /// <summary>Makes up to Count parked deliveries of each webhook due now, the oldest first; how many it let go of each.</summary>
    Task<int[]> LetGoAsync(IReadOnlyList<(Guid WebhookId, int Count)> parked, DateTimeOffset now, CancellationToken ct = default);

    /// <summary>When the next delivery not in flight is due (null: none is queued); a worker sleeps until then or its poll interval.</summary>
    Task<DateTimeOffset?> NextDueAsync(CancellationToken ct = default);

    /// <summary>
    /// Records attempts in one transaction: a log row each, the delivery's next state and the webhook's failure count,
    /// pausing it (and cancelling its queue) when <see cref="AttemptResult.PauseReason"/> is set or the count reaches
    /// <paramref name="pauseAfter"/>. A result whose lease token no longer matches is dropped. Returns how many applied.
    /// <paramref name="node"/> is recorded with each log row. The operational events the results make due (a failing streak
    /// reaching a warning, a pause, a recovery, an exhausted delivery) are published by <paramref name="announcer"/> in the same
    /// transaction; without one they are dropped.
    /// </summary>
    Task<int> CompleteAsync(IReadOnlyList<AttemptResult> results, int pauseAfter, string node, IAnnouncer? announcer = null,
        CancellationToken ct = default);

    /// <summary>Re-queues one delivery (same message id) with a fresh set of attempts; false when not found.</summary>
    Task<bool> RedeliverAsync(Guid workspaceId, Guid webhookId, long deliveryId, int extraAttempts, DateTimeOffset now, CancellationToken ct = default);

    /// <summary>Re-queues every exhausted or cancelled delivery of the webhook created since <paramref name="since"/>.</summary>
    Task<int> RecoverAsync(Guid workspaceId, Guid webhookId, DateTimeOffset since, int extraAttempts, DateTimeOffset now, CancellationToken ct = default);

    /// <summary>The delivery behind a log row: (false, null) when no such log exists; (true, null) for a test send.</summary>
    Task<(bool Found, long? DeliveryId)> FindDeliveryOfLogAsync(Guid workspaceId, Guid webhookId, Guid logId, CancellationToken ct = default);

    Task<WebhookTarget?> GetTargetAsync(Guid workspaceId, Guid webhookId, DateTimeOffset now, CancellationToken ct = default);

    Task<DeliveryState?> GetAsync(long id, CancellationToken ct = default);

    Task<PruneResult> PruneAsync(DateTimeOffset logsBefore, DateTimeOffset keysBefore, CancellationToken ct = default);
}
