using System.Text.Encodings.Web;
using System.Text.Json;
using Hookline.Delivery;
using Hookline.Delivery.Slack;
using Hookline.Storage;

namespace Hookline.Tests.Slack;

/// <summary>Realistic events for every Slack event type, fixed so their messages can be kept as golden files.</summary>
public static class SlackSamples
{
    public static readonly string[] GoldenLanguages = ["en-GB", "de-DE"];

    public static IEnumerable<string> EventTypes => Hookline.Webhooks.EventTypes.Slack.Append(DeliveryApi.TestEventType);

    private const string Link = "https://acme.awork.com";
    private static readonly object Carla = new { id = "5c0e7a6b-31f1-4b8e-a7c2-3d1f0e9b2a11", firstName = "Carla", lastName = "Creative" };
    private static readonly object Tom = new { id = "8a2d4f60-9b3e-4c71-8e55-0f6a1c2b3d44", firstName = "Tom", lastName = "Tester" };

    /// <summary>The sample event's payload as the ingest stores it, in names a workspace of that language would use.</summary>
    public static string Payload(string eventType, string language)
    {
        var german = language.StartsWith("de", StringComparison.Ordinal);
        if (Hookline.Webhooks.EventTypes.Operational.Contains(eventType)) return Operational(eventType, german);
        var task = new { id = "0b7e3f52-6d1a-4e0c-9f21-7a5b8c9d0e12", name = german ? "Release Notes schreiben" : "Write the release notes" };
        var project = new { id = "3f9a1c27-2b4d-4e6f-8a90-b1c2d3e4f506", name = german ? "Website-Relaunch" : "Website relaunch" };
        var (todo, doing, done) = german ? ("Offen", "In Arbeit", "Erledigt") : ("To do", "In progress", "Done");
        var (planned, active) = german ? ("Geplant", "Aktiv") : ("Planned", "Active");
        (object? Entity, string? Type, string? Link, object? Changes) sample = eventType switch
        {
            "absence_added" => (new { id = "a1b2c3d4-0000-4000-8000-000000000001", user = Tom, startOn = "2026-03-02T00:00:00Z",
                endOn = "2026-03-06T00:00:00Z", description = german ? "Skiurlaub" : "Skiing holiday" }, "absence", $"{Link}/users/{Id(Tom)}/absences", null),
            "company_added" => (new { id = "c0ffee00-1111-4222-8333-444455556666", name = german ? "Nordwind Handels GmbH" : "Northwind Traders Ltd",
                industry = "Retail" }, "company", $"{Link}/companies/c0ffee00-1111-4222-8333-444455556666", null),
            "project_added" => (new { project.id, project.name, projectStatus = new { name = planned }, company = new { name = "Acme" } },
                "project", $"{Link}/projects/{project.id}", null),
            "project_comment_added" => (new { id = "d00dfeed-aaaa-4bbb-8ccc-dddddddddddd", project,
                message = german
                    ? "Das Kick-off ist auf Donnerstag verschoben.\nBitte tragt es euch ein.\n\nDie Agenda folgt morgen."
                    : "The kick-off has moved to Thursday.\nPlease update your calendars.\n\nThe agenda follows tomorrow." },
                "comment", $"{Link}/projects/{project.id}/comments", null),
            "project_status_changed" => (new { project.id, project.name, projectStatus = new { name = active } }, "project",
                $"{Link}/projects/{project.id}", new object[] { new { property = "projectStatus", old = new { name = planned }, @new = new { name = active } } }),
            "projectmember_added" => (new { id = "e1e2e3e4-5555-4666-8777-888899990000", user = Tom, project, role = "Member" },
                "projectmember", $"{Link}/projects/{project.id}/members", null),
            "task_added" => (new { task.id, task.name, project, taskStatus = new { name = todo } }, "task", $"{Link}/tasks/{task.id}", null),
            "task_comment_added" => (new { id = "f00dbabe-1234-4567-89ab-cdef01234567", task,
                message = german
                    ? "Der Entwurf liegt im geteilten Ordner – kannst du dir *Preise* & FAQ ansehen?\nDanke! <3"
                    : "The draft is in the shared folder – could you check the *pricing* & FAQ sections?\nThanks! <3" },
                "comment", $"{Link}/tasks/{task.id}/comments", null),
            "task_status_changed" => (new { task.id, task.name, taskStatus = new { name = done } }, "task", $"{Link}/tasks/{task.id}",
                new object[] { new { property = "taskStatusId", old = "6d2c0f3a-0000-4000-8000-000000000001", @new = "6d2c0f3a-0000-4000-8000-000000000002" },
                    new { property = "taskStatus", oldValue = doing, newValue = done } }),
            "taskassignment_added" => (new { id = "ab12cd34-0000-4000-8000-00000000abcd", user = Tom, task }, "taskassignment",
                $"{Link}/tasks/{task.id}", null),
            "user_added" => (new { id = Id(Tom), firstName = "Tom", lastName = "Tester", email = "tom.tester@acme.example" }, "user",
                $"{Link}/users/{Id(Tom)}", null),
            DeliveryApi.TestEventType => (new { message = "This is a test event from Hookline." }, null, null, null),
            _ => (new { id = "99999999-0000-4000-8000-000000000000", name = german ? "Zeiterfassung Kick-off" : "Kick-off time entry" },
                eventType.Split('_')[0], $"{Link}/times", null),
        };
        var test = eventType == DeliveryApi.TestEventType;
        return JsonSerializer.Serialize(new
        {
            timestamp = "2026-11-27T09:17:42Z", eventType, entity = sample.Entity,
            entityId = test ? null : Id(sample.Entity!), entityType = sample.Type, entityLink = sample.Link, traceId = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            triggeredBy = test ? new { id = "tok_7Yq2" } : Carla, changes = sample.Changes,
        });
    }

    /// <summary>An operational event about a webhook named as that workspace would, as Hookline writes it.</summary>
    private static string Operational(string eventType, bool german)
    {
        var at = new DateTimeOffset(2026, 11, 27, 9, 17, 42, TimeSpan.Zero);
        var by = Guid.Parse(Id(Carla));
        var (failures, active, reason) = eventType switch
        {
            OperationalEvents.Failing => (5, true, "503 Service Unavailable"),
            OperationalEvents.Paused => (10, false, "Paused after 10 consecutive failed attempts. Last failure: 503 Service Unavailable"),
            OperationalEvents.Recovered => (0, true, (string?)"503 Service Unavailable"),
            _ => (3, true, "503 Service Unavailable"),
        };
        var webhook = new Webhook(Guid.Parse("7e3f1a2b-4c5d-4e6f-8a9b-0c1d2e3f4a5b"), Guid.Parse("1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"),
            german ? "Bestellungen" : "Orders", "https://hooks.acme.example/orders", null, "task_added", active, false, "none", null, "custom",
            reason, at.AddDays(-30), by, at.AddDays(-1), by);
        var delivery = eventType == OperationalEvents.Exhausted
            ? new { messageId = "msg_0b7e3f526d1a4e0c9f217a5b8c9d0e12", eventId = Guid.Parse("0b7e3f52-6d1a-4e0c-9f21-7a5b8c9d0e12"),
                eventType = "task_added", attempts = 11, responseCode = 503, reason = "503 Service Unavailable" }
            : null;
        return OperationalEvents.Payload(eventType, webhook, failures, 10, at, delivery);
    }

    private static string Id(object o) => JsonSerializer.SerializeToElement(o).GetProperty("id").GetString()!;

    public static ClaimedDelivery Delivery(string eventType, string payload, string? language) =>
        new(1, "msg_x", Guid.Empty, eventType, payload, 1, 11, 1,
            new WebhookTarget(Guid.Empty, Guid.Empty, "https://hooks.slack.com/services/T/B/x", "slack", language, "none", null, []));

    public static byte[] Render(string eventType, string payload, string? language) =>
        new SlackRenderer().Render(Delivery(eventType, payload, language)).Body;

    public static byte[] Render(string eventType, string? language) => Render(eventType, Payload(eventType, language ?? "en-GB"), language);

    /// <summary>The rendered message indented, with letters and markup unescaped, for golden files people can read.</summary>
    public static string Pretty(byte[] body)
    {
        using var document = JsonDocument.Parse(body);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            document.WriteTo(w);
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    public static JsonElement Json(byte[] body) => JsonDocument.Parse(body).RootElement.Clone();

    /// <summary>The fallback text and the main section's mrkdwn.</summary>
    public static (string Text, string Sentence) Sentence(byte[] body)
    {
        var root = Json(body);
        return (root.GetProperty("text").GetString()!, root.GetProperty("blocks")[0].GetProperty("text").GetProperty("text").GetString()!);
    }
}
