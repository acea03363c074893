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

    public static readonly IReadOnlyDictionary<string, string> Log = new Dictionary<string, string>
    {
        ["id"] = "id", ["webhookId"] = "webhook_id", ["eventId"] = "event_id", ["eventType"] = "event_type",
        ["attempt"] = "attempt", ["message"] = "message", ["responseCode"] = "response_code", ["reason"] = "reason",
        ["isSuccessful"] = "is_successful", ["durationMs"] = "duration_ms", ["createdOn"] = "created_on",
    };
}
