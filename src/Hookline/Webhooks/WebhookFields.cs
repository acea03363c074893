using Hookline.Api.Querying;
using Hookline.Storage.Querying;

namespace Hookline.Webhooks;

/// <summary>The properties that <c>filterby</c> and <c>orderby</c> may name. Secrets (authentication) are left out on purpose.</summary>
public static class WebhookFields
{
    public static readonly QueryField CreatedOn = new("createdOn", FieldType.DateTime);

    public static readonly QueryFields Config = new(
        new("id", FieldType.Guid), new("name", FieldType.String), new("uri", FieldType.String),
        new("language", FieldType.String, Nullable: true), new("events", FieldType.String), new("isActive", FieldType.Boolean),
        new("onlyTriggerForMainEntityChanges", FieldType.Boolean), new("authenticationType", FieldType.String),
        new("receiverType", FieldType.String), new("lastFailureReason", FieldType.String, Nullable: true), CreatedOn,
        new("createdBy", FieldType.Guid), new("updatedOn", FieldType.DateTime), new("updatedBy", FieldType.Guid));

    public static readonly QueryFields Log = new(
        new("id", FieldType.Guid), new("webhookId", FieldType.Guid), new("eventId", FieldType.Guid),
        new("eventType", FieldType.String), new("attempt", FieldType.Integer), new("message", FieldType.String, Nullable: true),
        new("responseCode", FieldType.Integer), new("reason", FieldType.String, Nullable: true),
        new("isSuccessful", FieldType.Boolean), new("durationMs", FieldType.Integer), CreatedOn);

    public static readonly IReadOnlyList<OrderTerm> ConfigDefaultOrder = [new(CreatedOn, Descending: false)];
    public static readonly IReadOnlyList<OrderTerm> LogDefaultOrder = [new(CreatedOn, Descending: true)];
}
