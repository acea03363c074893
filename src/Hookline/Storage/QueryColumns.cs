namespace Hookline.Storage;

/// <summary>
/// Which column holds each filterable API property. The API's whitelists (Webhooks/WebhookFields.cs) name the
/// properties; this maps them, and a property missing here is a bug caught by the store tests.
/// </summary>
public static class QueryColumns
{
    public static readonly IReadOnlyDictionary<string, string> Webhook = new Dictionary<string, string>
    {
        ["id"] = "id", ["name"] = "name", ["uri"] = "uri", ["language"] = "language", ["events"] = "events",
        ["isActive"] = "is_active", ["onlyTriggerForMainEntityChanges"] = "only_main_entity",
        ["authenticationType"] = "authentication_type", ["receiverType"] = "receiver_type",
        ["lastFailureReason"] = "last_failure_reason", ["createdOn"] = "created_on", ["createdBy"] = "created_by",
        ["updatedOn"] = "updated_on", ["updatedBy"] = "updated_by",
    };

    /// <summary>A log's message: its own, or the payload of its event when it was delivered unchanged (see AttemptResult.StoredMessage).</summary>
    public const string LogMessage = "COALESCE(message, (SELECT e.payload FROM events e WHERE e.id = webhook_logs.event_id))";

    /// <summary>The columns a log list reads.</summary>
    public const string LogSelect = "id, workspace_id, webhook_id, event_id, event_type, attempt, " + LogMessage + " AS message, " +
        "response_code, reason, is_successful, duration_ms, response_body, created_on";

    public static readonly IReadOnlyDictionary<string, string> Log = new Dictionary<string, string>
    {
        ["id"] = "id", ["webhookId"] = "webhook_id", ["eventId"] = "event_id", ["eventType"] = "event_type",
        ["attempt"] = "attempt", ["message"] = LogMessage, ["responseCode"] = "response_code", ["reason"] = "reason",
        ["isSuccessful"] = "is_successful", ["durationMs"] = "duration_ms", ["createdOn"] = "created_on",
    };
}
