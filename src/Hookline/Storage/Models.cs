namespace Hookline.Storage;

// Stored rows, as the stores hand them out. Wire types live with their feature (e.g. Webhooks/WebhookContracts.cs).

public sealed record Workspace(Guid Id, string Name, DateTimeOffset CreatedOn);

public sealed record ApiToken(
    Guid Id, Guid? WorkspaceId, string Name, IReadOnlyList<string> Permissions, string TokenHash,
    DateTimeOffset CreatedOn, DateTimeOffset? LastUsedOn, DateTimeOffset? RevokedOn);

public sealed record Webhook(
    Guid Id, Guid WorkspaceId, string Name, string Uri, string? Language, string Events, bool IsActive,
    bool OnlyTriggerForMainEntityChanges, string AuthenticationType, string? Authentication, string ReceiverType,
    string? LastFailureReason, DateTimeOffset CreatedOn, Guid CreatedBy, DateTimeOffset UpdatedOn, Guid UpdatedBy);

/// <summary>
/// How a webhook wants its deliveries, beyond awork's fields; null is the service's default. <see cref="RetrySchedule"/> is in
/// seconds (its length is the number of retries); <see cref="Fifo"/> sends one at a time, in event order.
/// </summary>
public sealed record DeliveryPolicy(int? MaxPerSecond, int? MaxConcurrency, int? TimeoutSeconds, IReadOnlyList<int>? RetrySchedule, bool Fifo)
{
    public static readonly DeliveryPolicy Default = new(null, null, null, null, false);

    /// <summary>Attempts a new delivery gets under this policy; null: the service's.</summary>
    public int? MaxAttempts => RetrySchedule is null ? null : 1 + RetrySchedule.Count;
}

/// <summary>One delivery attempt, as the delivery log shows it.</summary>
public sealed record DeliveryLog(
    Guid Id, Guid WorkspaceId, Guid WebhookId, Guid EventId, string EventType, int Attempt, string? Message,
    int ResponseCode, string? Reason, bool IsSuccessful, int DurationMs, string? ResponseBody, DateTimeOffset CreatedOn);

/// <summary>An attempt as its detail page shows it: the node that made it and the message id it was sent with.</summary>
public sealed record LogDetail(DeliveryLog Log, string? Node, string? MessageId);

/// <summary>A webhook's attempts and successes in a recent window, and when it was last attempted at all.</summary>
public sealed record WebhookActivity(int Attempts, int Succeeded, DateTimeOffset? LastAttempt);

public sealed record ListQuery(Querying.FilterNode? Filter, IReadOnlyList<Querying.OrderTerm> Order, int Page, int PageSize)
{
    public long Offset => (long)(Page - 1) * PageSize;
}

public sealed record Page<T>(IReadOnlyList<T> Items, long Total);
