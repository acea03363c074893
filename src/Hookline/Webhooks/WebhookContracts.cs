using Hookline.Storage;

namespace Hookline.Webhooks;

// Wire types of the management API, named and shaped as in awork's OpenAPI document.

/// <summary>The webhook config model.</summary>
public sealed record WebhookConfig
{
    public required string Name { get; init; }
    public required string Uri { get; init; }
    public string? Language { get; init; }
    public required string Events { get; init; }
    public required bool IsActive { get; init; }
    public bool OnlyTriggerForMainEntityChanges { get; init; }
    public required string AuthenticationType { get; init; }
    public string? Authentication { get; init; }
    public Guid Id { get; init; }
    public string? ReceiverType { get; init; }
    public string? LastFailureReason { get; init; }
    public DateTime CreatedOn { get; init; }
    public Guid CreatedBy { get; init; }
    public DateTime UpdatedOn { get; init; }
    public Guid UpdatedBy { get; init; }

    public static WebhookConfig From(Webhook w) => new()
    {
        Name = w.Name, Uri = w.Uri, Language = w.Language, Events = w.Events, IsActive = w.IsActive,
        OnlyTriggerForMainEntityChanges = w.OnlyTriggerForMainEntityChanges, AuthenticationType = w.AuthenticationType,
        Authentication = w.Authentication, Id = w.Id, ReceiverType = w.ReceiverType, LastFailureReason = w.LastFailureReason,
        CreatedOn = w.CreatedOn.UtcDateTime, CreatedBy = w.CreatedBy, UpdatedOn = w.UpdatedOn.UtcDateTime, UpdatedBy = w.UpdatedBy,
    };
}

/// <summary>The model to create or update a webhook config. Read by <see cref="WebhookFormReader"/>, which reports every bad field.</summary>
public sealed record WebhookConfigForm
{
    public required string Name { get; init; }
    public required string Uri { get; init; }
    public string? Language { get; init; }
    public required string Events { get; init; }
    public required bool IsActive { get; init; }
    public bool OnlyTriggerForMainEntityChanges { get; init; }
    public required string AuthenticationType { get; init; }
    public string? Authentication { get; init; }
}

/// <summary>One delivery attempt: awork's fields first, then Hookline's additions.</summary>
public sealed record WebhookLog
{
    public string? Message { get; init; }
    public Guid WebhookId { get; init; }
    public int ResponseCode { get; init; }
    public DateTime CreatedOn { get; init; }
    public string? Reason { get; init; }
    public bool IsSuccessful { get; init; }
    public Guid Id { get; init; }
    public Guid EventId { get; init; }
    public string EventType { get; init; } = "";
    public int Attempt { get; init; }
    public int DurationMs { get; init; }
    /// <summary>The first 4 KiB of the receiver's answer.</summary>
    public string? ResponseBody { get; init; }

    public static WebhookLog From(DeliveryLog l) => new()
    {
        Message = l.Message, WebhookId = l.WebhookId, ResponseCode = l.ResponseCode, CreatedOn = l.CreatedOn.UtcDateTime,
        Reason = l.Reason, IsSuccessful = l.IsSuccessful, Id = l.Id, EventId = l.EventId, EventType = l.EventType,
        Attempt = l.Attempt, DurationMs = l.DurationMs, ResponseBody = l.ResponseBody,
    };
}

/// <summary>The result of a test delivery (awork's <c>WebhookTestResult</c>).</summary>
public sealed record WebhookTestResult(int ResponseCode, string? Reason, bool IsSuccessful);

/// <summary>The Slack webhook config model (awork's <c>WebhookSlackConfigForm</c>), kept for contract parity.</summary>
public sealed record WebhookSlackConfigForm(string? Code = null);
