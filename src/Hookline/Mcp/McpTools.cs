using System.Text.Json;
using Hookline.Api;
using Hookline.Auth;
using Hookline.Webhooks;
using ModelContextProtocol.Protocol;

namespace Hookline.Mcp;

/// <summary>
/// The tools an agent gets at /mcp: each is one API call (two for update), described well enough to be used without the
/// README. Bodies go to the API as given, so a bad value is answered in the API's own words.
/// </summary>
public static class McpTools
{
    private const string Webhooks = "/api/v1/webhooks";

    private const string WebhookId = """
        "webhookId": { "type": "string", "format": "uuid", "description": "The webhook's id (from list_webhooks)." }
        """;

    private const string ListArguments = """
        "page": { "type": "integer", "minimum": 1, "description": "Page number, from 1 (default 1)." },
        "pageSize": { "type": "integer", "minimum": 1, "maximum": 1000, "description": "Items per page, 1 to 1000 (default 1000)." }
        """;

    private const string WebhookFields = """
        "name": { "type": "string", "maxLength": 200, "description": "A name people recognise, e.g. 'Ops alerts'." },
        "uri": { "type": "string", "format": "uri", "description": "Where deliveries are POSTed: an absolute http(s) URI. A Slack (hooks.slack.com), Microsoft Teams (Workflows, Office connector) or Discord (discord.com/api/webhooks/…) URI makes a chat webhook that posts readable messages; any other URI gets awork-shaped JSON, signed (Standard Webhooks)." },
        "events": { "type": "string", "description": "Comma-separated event types to deliver, e.g. 'task_added,task_updated' (list_event_types gives the allowed ones for the receiver type)." },
        "isActive": { "type": "boolean", "description": "Whether deliveries are sent. false pauses the webhook and cancels what is queued for it." },
        "language": { "type": ["string", "null"], "description": "Culture of chat messages, e.g. 'en-GB' or 'de-DE' (default en-GB; ignored for custom receivers)." },
        "onlyTriggerForMainEntityChanges": { "type": "boolean", "description": "Deliver only events about the main entity, not about its sub-entities (default false)." },
        "authenticationType": { "type": "string", "enum": ["none", "header"], "description": "'header' sends the 'authentication' header with every delivery; 'none' sends none." },
        "authentication": { "type": ["string", "null"], "description": "With authenticationType 'header': 'Header-Name=value', e.g. 'X-Api-Key=s3cret'. Empty with 'none'." }
        """;

    private const string EventFields = """
        "eventType": { "type": "string", "description": "An awork event type, e.g. 'task_added' (list_event_types with receiverType 'custom'; operational ones are Hookline's own and cannot be published)." },
        "entity": { "type": ["object", "array"], "description": "The entity the event is about, as receivers should see it, e.g. {\"id\": \"…\", \"name\": \"Write the docs\"}." },
        "entityId": { "type": "string", "description": "The entity's id." },
        "entityType": { "type": "string", "description": "The entity's type, e.g. 'task'." },
        "entityLink": { "type": "string", "description": "A link to the entity in the product." },
        "triggeredBy": { "type": "object", "description": "Who caused the event, e.g. {\"id\": \"…\", \"firstName\": \"Ada\"}." },
        "changes": { "type": ["array", "object"], "description": "What changed, e.g. [{\"property\": \"name\", \"old\": \"a\", \"new\": \"b\"}]." },
        "isMainEntityChange": { "type": "boolean", "description": "Whether the main entity changed (default true)." },
        "timestamp": { "type": "string", "format": "date-time", "description": "When it happened (default now)." },
        "traceId": { "type": "string", "description": "A trace id to carry into the deliveries (default this request's)." },
        "workspaceId": { "type": "string", "format": "uuid", "description": "Optional: the token's own workspace (a token publishes to its own workspace only)." },
        "idempotencyKey": { "type": "string", "description": "Optional Idempotency-Key: the same event published again with the same key within 24 h returns the first result and publishes nothing; another event with a used key is refused." }
        """;

    public static IReadOnlyList<ApiTool> All { get; } =
    [
        Tool("list_webhooks", "List webhooks",
            "Lists the workspace's webhooks with their settings (receiver type, events, whether active, the last failure's reason), a page at a time.",
            $$"""
            "filterBy": { "type": "string", "description": "awork filter, e.g. \"isActive eq false\", \"receiverType eq 'slack' and substringof('ops', name)\", \"createdOn gt 2026-01-01T00:00:00Z\". Fields: id, name, uri, language, events, isActive, onlyTriggerForMainEntityChanges, authenticationType, receiverType, lastFailureReason, createdOn, createdBy, updatedOn, updatedBy. Operators: eq ne gt ge lt le and or not, functions substringof startswith endswith." },
            "orderBy": { "type": "string", "description": "Sort, e.g. \"name\" or \"createdOn desc, name\" (default createdOn)." },
            {{ListArguments}}
            """, [], readOnly: true,
            run: c => c.SendAsync("GET", Webhooks, c.Query(("filterBy", "filterby"), ("orderBy", "orderby"), ("page", "page"), ("pageSize", "pageSize")))),
        Tool("get_webhook", "Get a webhook",
            "Returns one webhook's settings: its URI, events, receiver type, whether it is active, and why its last delivery failed.", WebhookId, ["webhookId"], readOnly: true,
            run: c => c.SendAsync("GET", $"{Webhooks}/{c.Id("webhookId")}")),
        Tool("create_webhook", "Create a webhook",
            "Creates a webhook that delivers the chosen events to a URI. The receiver type is inferred from the URI (Slack, Teams and Discord webhooks become 'slack', 'teams', 'discord'). Returns the webhook with its id.",
            WebhookFields, ["name", "uri", "events", "isActive", "authenticationType"],
            run: c => c.SendAsync("POST", Webhooks, json: c.Body())),
        Tool("update_webhook", "Update a webhook",
            "Changes a webhook's settings: give only the fields to change, the others keep their values. Setting isActive to true resumes a paused webhook.",
            $"{WebhookId},\n{WebhookFields}", ["webhookId"], idempotent: true, run: UpdateAsync),
        Tool("delete_webhook", "Delete a webhook", "Deletes a webhook, its logs and everything queued for it. This cannot be undone.",
            WebhookId, ["webhookId"], destructive: true, idempotent: true,
            run: c => c.SendAsync("DELETE", $"{Webhooks}/{c.Id("webhookId")}")),
        Tool("list_event_types", "List event types",
            "Lists the event types a webhook can subscribe to: for custom receivers (awork's events and Hookline's operational ones, such as webhook_failing) or for chat receivers (Slack, Microsoft Teams, Discord), which get a message for people.",
            """
            "receiverType": { "type": "string", "enum": ["custom", "slack", "teams", "discord"], "description": "Which receivers' list (default custom)." }
            """, [], readOnly: true,
            run: c => c.SendAsync("GET", c.Text("receiverType") is { } type && ReceiverTypes.IsChat(type)
                ? $"{Webhooks}/eventtypes/{type}" : $"{Webhooks}/eventtypes")),
        Tool("search_delivery_logs", "Search delivery logs",
            "Lists a webhook's delivery attempts, newest first: event, attempt number, the receiver's status code and answer, duration, whether it succeeded. Use it to find out why deliveries fail.",
            $$"""
            {{WebhookId}},
            "filterBy": { "type": "string", "description": "awork filter, e.g. \"isSuccessful eq false\", \"responseCode ge 500 and createdOn gt 2026-01-01T00:00:00Z\", \"eventType eq 'task_added'\". Fields: id, webhookId, eventId, eventType, attempt, message, responseCode, reason, isSuccessful, durationMs, createdOn." },
            "orderBy": { "type": "string", "description": "Sort, e.g. \"createdOn\" (default createdOn desc)." },
            {{ListArguments}}
            """, ["webhookId"], readOnly: true,
            run: c => c.SendAsync("GET", $"{Webhooks}/{c.Id("webhookId")}/logs",
                c.Query(("filterBy", "filterby"), ("orderBy", "orderby"), ("page", "page"), ("pageSize", "pageSize")))),
        Tool("send_test_event", "Send a test event",
            "Sends a signed test event to the webhook now and returns the receiver's answer (status code, reason, success).",
            WebhookId, ["webhookId"], outward: true, run: c => c.SendAsync("POST", $"{Webhooks}/{c.Id("webhookId")}/test")),
        Tool("redeliver", "Redeliver",
            "Queues the delivery behind one log entry again, with the same webhook-id, so receivers can de-duplicate. Returns the delivery's id.",
            $$"""
            {{WebhookId}},
            "logId": { "type": "string", "format": "uuid", "description": "The log entry's id (from search_delivery_logs)." }
            """, ["webhookId", "logId"], outward: true,
            run: c => c.SendAsync("POST", $"{Webhooks}/{c.Id("webhookId")}/logs/{c.Id("logId")}/redeliver")),
        Tool("recover_since", "Recover failed deliveries",
            "Queues again every failed or cancelled delivery of the webhook created since the given time, e.g. after its receiver was down. Returns how many were queued.",
            $$"""
            {{WebhookId}},
            "since": { "type": "string", "format": "date-time", "description": "ISO 8601 date and time, e.g. 2026-01-31T12:00:00Z." }
            """, ["webhookId", "since"], outward: true,
            run: c => c.SendAsync("POST", $"{Webhooks}/{c.Id("webhookId")}/recover", c.Query(("since", "since")))),
        Tool("get_signing_secret", "Get the signing secret",
            "Returns what receivers verify the webhook-signature header with (Standard Webhooks): the shared secret (whsec_…) of an hmac-sha256 webhook, or the public key (whpk_…) of an ed25519 one, and which it is. Needs the admin permission.",
            WebhookId, ["webhookId"], readOnly: true, needs: Permissions.Admin,
            run: c => c.SendAsync("GET", $"{Webhooks}/{c.Id("webhookId")}/secret")),
        Tool("rotate_signing_secret", "Rotate the signing secret",
            "Makes a new signing secret and returns what receivers verify with; deliveries carry signatures with the old one too for the grace period, so receivers can switch without losing any. Also switches between shared-secret (hmac-sha256) and public-key (ed25519) signing. Needs the admin permission.",
            $$"""
            {{WebhookId}},
            "algorithm": { "type": "string", "enum": ["hmac-sha256", "ed25519"], "description": "hmac-sha256: a shared whsec_ secret (signatures v1); ed25519: a whpk_ public key, the private key never leaves Hookline (signatures v1a). Default: the current one's." }
            """, ["webhookId"], destructive: true, needs: Permissions.Admin,
            run: c => c.SendAsync("POST", $"{Webhooks}/{c.Id("webhookId")}/secret/rotate", c.Query(("algorithm", "algorithm")))),
        Tool("publish_event", "Publish an event",
            "Publishes one event to the workspace: it is committed and then delivered to every webhook subscribed to its type. Needs the events:publish permission. Returns the event's id and how many deliveries it made.",
            EventFields, ["eventType"], outward: true,
            run: c => c.SendAsync("POST", "/api/v1/events", json: c.Body("idempotencyKey"),
                headers: c.Text("idempotencyKey") is { } key ? [new("Idempotency-Key", key)] : null)),
    ];

    /// <summary>
    /// PUT replaces every field (as awork's API does); the tool reads the webhook first so that fields not given keep their
    /// values. What is read back is the webhook's form fields only.
    /// </summary>
    private static async Task<InProcessApi.Answer> UpdateAsync(ToolCall c)
    {
        var path = $"{Webhooks}/{c.Id("webhookId")}";
        var current = await c.SendAsync("GET", path);
        if (current.Status != 200) return current;
        using var read = JsonDocument.Parse(current.Body);
        var form = new Dictionary<string, JsonElement>();
        foreach (var p in read.RootElement.EnumerateObject())
            if (WebhookFormReader.Properties.Contains(p.Name)) form[p.Name] = p.Value.Clone();
        foreach (var (name, value) in c.Arguments.Where(a => a.Key != "webhookId"))
            form[form.Keys.FirstOrDefault(k => k.Equals(name, StringComparison.OrdinalIgnoreCase)) ?? name] = value;
        return await c.SendAsync("PUT", path, json: JsonSerializer.Serialize(form));
    }

    private static ApiTool Tool(string name, string title, string description, string properties, string[] required,
        Func<ToolCall, Task<InProcessApi.Answer>> run, bool readOnly = false, bool destructive = false, bool idempotent = false, bool outward = false,
        string? needs = null)
    {
        var schema = $$"""{ "type": "object", "properties": { {{properties}} }, "required": {{JsonSerializer.Serialize(required)}} }""";
        return new ApiTool(new Tool
        {
            Name = name, Title = title, Description = description, InputSchema = JsonDocument.Parse(schema).RootElement.Clone(),
            Annotations = new ToolAnnotations
            {
                Title = title, ReadOnlyHint = readOnly, DestructiveHint = !readOnly && destructive, IdempotentHint = readOnly || idempotent,
                OpenWorldHint = outward, // sends to the webhook's receiver, outside Hookline
            },
        }, run, needs);
    }
}
