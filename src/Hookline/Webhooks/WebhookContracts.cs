using Hookline.Storage;

namespace Hookline.Webhooks;

// Wire types of the management API, named and shaped as in awork's OpenAPI document.

/// <summary>The webhook config model.</summary>
public sealed record WebhookConfig
{
    /// <summary>The name of this webhook event.</summary>
    /// <example>Ops alerts</example>
    public required string Name { get; init; }
    /// <summary>The URI to call. Slack, Microsoft Teams and Discord webhook URIs get a message for people; any other gets awork's JSON.</summary>
    /// <example>https://receiver.example/hooks/awork</example>
    public required string Uri { get; init; }
    /// <summary>
    /// The language of the web hook message that will be sent to the receiver (a culture such as en-GB or de-DE; chat
    /// receivers default to en-GB). Not required for custom web hooks.
    /// </summary>
    public string? Language { get; init; }
    /// <summary>
    /// The event(s) that trigger the web hook. A comma-separated list of events that trigger the webhook. The allowed events
    /// depend on the webhook type: for 'custom' see '/webhooks/eventTypes', for 'slack', 'teams' and 'discord'
    /// '/webhooks/eventTypes/slack' (…/teams, …/discord).
    /// </summary>
    /// <example>task_added,task_status_changed</example>
    public required string Events { get; init; }
    /// <summary>Whether the web hook is currently active. An inactive (paused) webhook gets no deliveries.</summary>
    public required bool IsActive { get; init; }
    /// <summary>Whether to only send events for main entity changes and not for nested entities if the webhook is for a model.</summary>
    public bool OnlyTriggerForMainEntityChanges { get; init; }
    /// <summary>The authentication type to use when calling the URI. Can be 'none', 'header'.</summary>
    /// <example>header</example>
    public required string AuthenticationType { get; init; }
    /// <summary>
    /// The authentication value to use when calling the URI: with header authentication 'headername=headervalue'. Only
    /// required when the authenticationType is anything other than 'none'.
    /// </summary>
    /// <example>X-Api-Key=s3cret</example>
    public string? Authentication { get; init; }
    /// <summary>The id of the webhook config.</summary>
    public Guid Id { get; init; }
    /// <summary>The type of the web hook, inferred from the URI. Can be 'custom', 'slack', 'teams', 'discord'.</summary>
    /// <example>custom</example>
    public string? ReceiverType { get; init; }
    /// <summary>The most recent failure reason.</summary>
    public string? LastFailureReason { get; init; }
    /// <summary>The date this webhook config was created.</summary>
    public DateTime CreatedOn { get; init; }
    /// <summary>The id of the user (token) who created this webhook config.</summary>
    public Guid CreatedBy { get; init; }
    /// <summary>The date this webhook config was last modified.</summary>
    public DateTime UpdatedOn { get; init; }
    /// <summary>The id of the user (token) who last modified this webhook config.</summary>
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
    /// <summary>The name of this webhook event.</summary>
    /// <example>Ops alerts</example>
    public required string Name { get; init; }
    /// <summary>The URI to call. Slack, Microsoft Teams and Discord webhook URIs get a message for people; any other gets awork's JSON.</summary>
    /// <example>https://receiver.example/hooks/awork</example>
    public required string Uri { get; init; }
    /// <summary>
    /// The language of the web hook message that will be sent to the receiver (a culture such as en-GB or de-DE; chat
    /// receivers default to en-GB). Not required for custom web hooks.
    /// </summary>
    public string? Language { get; init; }
    /// <summary>
    /// The event(s) that trigger the web hook. A comma-separated list of events that trigger the webhook. The allowed events
    /// depend on the webhook type: for 'custom' see '/webhooks/eventTypes', for 'slack', 'teams' and 'discord'
    /// '/webhooks/eventTypes/slack' (…/teams, …/discord).
    /// </summary>
    /// <example>task_added,task_status_changed</example>
    public required string Events { get; init; }
    /// <summary>Whether the web hook is currently active. An inactive (paused) webhook gets no deliveries.</summary>
    public required bool IsActive { get; init; }
    /// <summary>Whether to only send events for main entity changes and not for nested entities if the webhook is for a model.</summary>
    public bool OnlyTriggerForMainEntityChanges { get; init; }
    /// <summary>The authentication type to use when calling the URI. Can be 'none', 'header'.</summary>
    /// <example>header</example>
    public required string AuthenticationType { get; init; }
    /// <summary>
    /// The authentication value to use when calling the URI: with header authentication 'headername=headervalue'. Only
    /// required when the authenticationType is anything other than 'none'.
    /// </summary>
    /// <example>X-Api-Key=s3cret</example>
    public string? Authentication { get; init; }
}

/// <summary>One delivery attempt: awork's fields first, then Hookline's additions.</summary>
public sealed record WebhookLog
{
    /// <summary>The message which has been sent to the webhook receiver (the request body; null when it repeats the attempt before).</summary>
    public string? Message { get; init; }
    /// <summary>The id of the webhook.</summary>
    public Guid WebhookId { get; init; }
    /// <summary>The HTTP response code of the request (0 when there was no answer).</summary>
    /// <example>503</example>
    public int ResponseCode { get; init; }
    /// <summary>The date the log was created.</summary>
    public DateTime CreatedOn { get; init; }
    /// <summary>The failure reason if the request failed.</summary>
    /// <example>HTTP 503 Service Unavailable</example>
    public string? Reason { get; init; }
    /// <summary>Whether the request was successful.</summary>
    public bool IsSuccessful { get; init; }
    /// <summary>The id of this log entry (to redeliver it).</summary>
    public Guid Id { get; init; }
    /// <summary>The id of the event that was delivered.</summary>
    public Guid EventId { get; init; }
    /// <summary>The type of the event that was delivered.</summary>
    /// <example>task_added</example>
    public string EventType { get; init; } = "";
    /// <summary>Which attempt this was for the delivery, from 1.</summary>
    public int Attempt { get; init; }
    /// <summary>How long the receiver took to answer, in milliseconds.</summary>
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
/// <param name="ResponseCode">The HTTP response code of the test request.</param>
/// <param name="Reason">The failure reason if the test request failed.</param>
/// <param name="IsSuccessful">Whether the test request was successful.</param>
public sealed record WebhookTestResult(int ResponseCode, string? Reason, bool IsSuccessful);

/// <summary>The Slack webhook config model (awork's <c>WebhookSlackConfigForm</c>), kept for contract parity.</summary>
/// <param name="Code">The Slack webhook code.</param>
public sealed record WebhookSlackConfigForm(string? Code = null);
