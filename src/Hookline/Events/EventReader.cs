using System.Globalization;
using System.Text.Json;
using Hookline.Api;
using Hookline.Webhooks;

namespace Hookline.Events;

/// <summary>An event as the producing product publishes it, checked and rendered into awork's webhook payload.</summary>
public sealed record PublishedEvent(Guid WorkspaceId, string EventType, bool IsMainEntityChange, DateTimeOffset Timestamp, string Payload);

/// <summary>Reads published events, listing every bad property (prefixed <c>[i].</c> in a batch) instead of stopping at the first.</summary>
public static class EventReader
{
    private static readonly string[] Known =
    [
        "workspaceId", "eventType", "entityId", "entityType", "entity", "entityLink", "triggeredBy", "changes",
        "isMainEntityChange", "traceId", "timestamp",
    ];

    public static PublishedEvent? Read(JsonElement e, string prefix, Guid? callerWorkspace, string defaultTraceId, DateTimeOffset now,
        List<ValidationErrorResponse> errors)
    {
        if (e.ValueKind != JsonValueKind.Object) { errors.Add(new(prefix.TrimEnd('.'), "An event must be a JSON object.")); return null; }
        var before = errors.Count;
        var values = new Dictionary<string, JsonElement>();
        foreach (var p in e.EnumerateObject())
        {
            var name = Known.FirstOrDefault(k => k.Equals(p.Name, StringComparison.OrdinalIgnoreCase));
            if (name is null) errors.Add(new(prefix + p.Name, $"'{p.Name}' is not a property of an event. Known: {string.Join(", ", Known)}."));
            else if (!values.TryAdd(name, p.Value)) errors.Add(new(prefix + name, $"'{name}' is given more than once."));
        }

        string? Text(string name, bool required = false, int max = 2048)
        {
            if (!values.TryGetValue(name, out var v) || v.ValueKind == JsonValueKind.Null)
            {
                if (required) errors.Add(new(prefix + name, $"'{name}' is required."));
                return null;
            }
            if (v.ValueKind != JsonValueKind.String) { errors.Add(new(prefix + name, $"'{name}' must be a string.")); return null; }
            var s = v.GetString()!;
            if (s.Length > max) { errors.Add(new(prefix + name, $"'{name}' must be at most {max} characters long.")); return null; }
            return s;
        }

        JsonElement? Json(string name, params JsonValueKind[] kinds)
        {
            if (!values.TryGetValue(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
            if (kinds.Contains(v.ValueKind)) return v;
            errors.Add(new(prefix + name, $"'{name}' must be {string.Join(" or ", kinds.Select(k => k == JsonValueKind.Object ? "an object" : "an array"))}."));
            return null;
        }

        var workspace = Workspace(Text("workspaceId"), callerWorkspace, prefix, errors);
        var eventType = Text("eventType", required: true, max: 100);
        if (eventType is not null && EventTypes.Operational.Contains(eventType))
            errors.Add(new(prefix + "eventType", $"'{eventType}' is an operational event: Hookline publishes it itself, about the workspace's webhooks."));
        else if (eventType is not null && !EventTypes.Published.Contains(eventType))
            errors.Add(new(prefix + "eventType", $"'{eventType}' is not an event type. They are listed at /api/v1/webhooks/eventtypes."));
        var entityId = Text("entityId", max: 200);
        var entityType = Text("entityType", max: 100);
        var entityLink = Text("entityLink");
        var traceId = Text("traceId", max: 200) ?? defaultTraceId;
        var entity = Json("entity", JsonValueKind.Object, JsonValueKind.Array);
        var triggeredBy = Json("triggeredBy", JsonValueKind.Object);
        var changes = Json("changes", JsonValueKind.Array, JsonValueKind.Object);
        var isMain = true;
        if (values.TryGetValue("isMainEntityChange", out var m) && m.ValueKind != JsonValueKind.Null)
        {
            if (m.ValueKind is JsonValueKind.True or JsonValueKind.False) isMain = m.GetBoolean();
            else errors.Add(new(prefix + "isMainEntityChange", "'isMainEntityChange' must be true or false."));
        }
        var timestamp = now;
        if (Text("timestamp", max: 64) is { } ts)
        {
            if (DateTimeOffset.TryParse(ts, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
                timestamp = parsed;
            else errors.Add(new(prefix + "timestamp", "'timestamp' must be an ISO 8601 date and time, e.g. 2026-01-31T12:00:00Z."));
        }
        if (errors.Count > before) return null;

        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("timestamp", timestamp.UtcDateTime);
            w.WriteString("eventType", eventType);
            w.WritePropertyName("entity");
            if (entity is { } en) en.WriteTo(w); else w.WriteNullValue();
            w.WriteString("entityId", entityId);
            w.WriteString("entityType", entityType);
            w.WriteString("entityLink", entityLink);
            w.WriteString("traceId", traceId);
            w.WritePropertyName("triggeredBy");
            if (triggeredBy is { } t) t.WriteTo(w); else w.WriteNullValue();
            w.WritePropertyName("changes");
            if (changes is { } ch) ch.WriteTo(w); else w.WriteNullValue();
            w.WriteEndObject();
        }
        return new PublishedEvent(workspace!.Value, eventType!, isMain, timestamp, System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
    }

    private static Guid? Workspace(string? text, Guid? caller, string prefix, List<ValidationErrorResponse> errors)
    {
        if (text is null)
        {
            if (caller is null) errors.Add(new(prefix + "workspaceId", "'workspaceId' is required with a system token."));
            return caller;
        }
        if (!Guid.TryParse(text, out var id)) { errors.Add(new(prefix + "workspaceId", "'workspaceId' must be a uuid.")); return null; }
        if (caller is not null && caller != id)
        {
            errors.Add(new(prefix + "workspaceId", "A workspace token may publish only to its own workspace."));
            return null;
        }
        return id;
    }
}
