using System.Text.Json;

namespace Hookline.Portal;

/// <summary>
/// What a custom receiver gets for each event type, in the shape ingest renders (timestamp, eventType, entity, entityId,
/// entityType, entityLink, traceId, triggeredBy, changes), with made-up values.
/// </summary>
public static class EventExamples
{
    private static readonly JsonSerializerOptions Indented = new(JsonSerializerOptions.Web) { WriteIndented = true };

    public static string For(string eventType)
    {
        if (Webhooks.EventTypes.Operational.Contains(eventType)) return Operational(eventType);
        var (entityType, action) = Split(eventType);
        var id = "2f0c6f6e-5b1a-4c8e-9a4d-0d6b7c1e4a21";
        object entity = entityType switch
        {
            "task" => new { id, name = "Write the release notes", taskStatus = new { name = "In progress", type = "progress" }, dueOn = "2026-12-04T16:00:00Z" },
            "project" => new { id, name = "Website relaunch", key = "WEB", projectStatus = new { name = "Running", type = "progress" } },
            "company" => new { id, name = "Northwind Traders", industry = "Retail" },
            "user" => new { id, firstName = "Carla", lastName = "Creative", position = "Designer" },
            "absence" => new { id, startOn = "2026-12-21", endOn = "2026-12-31", description = "Holidays" },
            "timetracking" => new { id, duration = 5400, note = "Reviewed the designs", startDateUtc = "2026-12-01T09:00:00Z" },
            "tasklist" => new { id, name = "Sprint 12" },
            _ => new { id, name = "Example" },
        };
        object? changes = action switch
        {
            "updated" => new[] { new { property = "name", old = "Release notes", @new = "Write the release notes" } },
            "status_changed" or "type_changed" or "activation_changed" => new[] { new { property = action.Replace("_changed", ""), old = "todo", @new = "progress" } },
            _ => null,
        };
        return JsonSerializer.Serialize(new
        {
            timestamp = "2026-12-01T09:30:00Z", eventType, entity, entityId = id, entityType,
            entityLink = $"https://app.awork.com/{entityType}s/{id}", traceId = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            triggeredBy = new { id = "8d2b5a3c-1e4f-4a6b-9c7d-2e1f0a3b4c5d", firstName = "Carla", lastName = "Creative" }, changes,
        }, Indented);
    }

    /// <summary>An operational event about a made-up webhook, as <see cref="Delivery.OperationalEvents"/> writes it.</summary>
    private static string Operational(string eventType)
    {
        var at = new DateTimeOffset(2026, 12, 1, 9, 30, 0, TimeSpan.Zero);
        var by = Guid.Parse("8d2b5a3c-1e4f-4a6b-9c7d-2e1f0a3b4c5d");
        var (failures, active, reason) = eventType switch
        {
            Delivery.OperationalEvents.Failing => (5, true, "503 Service Unavailable"),
            Delivery.OperationalEvents.Paused => (10, false, "Paused after 10 consecutive failed attempts. Last failure: 503 Service Unavailable"),
            Delivery.OperationalEvents.Recovered => (0, true, (string?)null),
            _ => (3, true, "503 Service Unavailable"),
        };
        var webhook = new Storage.Webhook(Guid.Parse("5a1e0c3d-7b2f-4e6a-9d8c-1f0e2d3c4b5a"), Guid.Parse("0e4d3c2b-1a0f-4e9d-8c7b-6a5f4e3d2c1b"),
            "Orders", "https://example.com/hooks/awork", null, "task_added,task_updated", active, false, "none", null, "custom", reason,
            at.AddDays(-30), by, at.AddDays(-1), by);
        var delivery = eventType == Delivery.OperationalEvents.Exhausted
            ? new { messageId = "msg_2f0c6f6e5b1a4c8e9a4d0d6b7c1e4a21", eventId = Guid.Parse("2f0c6f6e-5b1a-4c8e-9a4d-0d6b7c1e4a21"),
                eventType = "task_added", attempts = 11, responseCode = 503, reason }
            : null;
        var payload = Delivery.OperationalEvents.Payload(eventType, webhook, failures, 10, at, delivery);
        return JsonSerializer.Serialize(JsonSerializer.Deserialize<JsonElement>(payload), Indented);
    }

    /// <summary>task_status_changed → (task, status_changed); projectmember_added → (projectmember, added).</summary>
    private static (string EntityType, string Action) Split(string eventType)
    {
        var at = eventType.IndexOf('_');
        return at < 0 ? (eventType, "") : (eventType[..at], eventType[(at + 1)..]);
    }
}
