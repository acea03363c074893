using System.Globalization;
using System.Text.Json;

namespace Hookline.Delivery.Chat;

/// <summary>
/// What a chat message (Slack, Teams, Discord) says about an awork payload, read best-effort. Producers send entities of every shape, so a
/// missing or odd value gives null here, never an exception; the renderer puts plain words in its place.
/// </summary>
internal sealed class ChatEvent
{
    private readonly JsonElement _entity, _triggeredBy, _changes;

    private ChatEvent(string eventType, JsonElement root)
    {
        EventType = eventType;
        _entity = Get(root, "entity");
        _triggeredBy = Get(root, "triggeredBy");
        _changes = Get(root, "changes");
        EntityId = Text(root, "entityId");
        EntityType = Text(root, "entityType");
        EntityLink = Text(root, "entityLink");
        if (Text(root, "timestamp") is { } ts && DateTimeOffset.TryParse(ts, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
            Timestamp = at;
    }

    /// <summary>Reads <paramref name="payload"/>; text that is not JSON reads as an event with nothing in it.</summary>
    public static ChatEvent Parse(string eventType, string payload)
    {
        try
        {
            using var document = JsonDocument.Parse(payload);
            return new ChatEvent(eventType, document.RootElement.Clone());
        }
        catch (JsonException)
        {
            return new ChatEvent(eventType, default);
        }
    }

    public string EventType { get; }
    public string? EntityId { get; }
    public string? EntityType { get; }
    public string? EntityLink { get; }
    public DateTimeOffset? Timestamp { get; }

    /// <summary>Who did it: <c>triggeredBy</c>'s first and last name, or its name.</summary>
    public string? Actor => Person(_triggeredBy);

    public string? EntityName =>
        Text(_entity, "name") ?? Text(_entity, "title") ?? Text(_entity, "subject") ?? FullName(_entity) ?? EntityId;

    /// <summary>The person an assignment, membership, absence or new user is about.</summary>
    public string? PersonConcerned =>
        Person(Get(_entity, "user")) ?? Person(Get(_entity, "assignee")) ?? Person(Get(_entity, "member"));

    /// <summary>The name of the task or project (<paramref name="property"/>) the entity belongs to, when it says.</summary>
    public string? ParentName(string property) => Text(Get(_entity, property), "name");

    /// <summary>A value inside the entity by its path (<c>"delivery", "attempts"</c>), as text.</summary>
    public string? EntityValue(params string[] path) => Text(path[..^1].Aggregate(_entity, Get), path[^1]);

    /// <summary>A whole number inside the entity by its path, or null.</summary>
    public int? EntityNumber(params string[] path) => int.TryParse(EntityValue(path), CultureInfo.InvariantCulture, out var n) ? n : null;

    public string? Comment => Text(_entity, "message") ?? Text(_entity, "text") ?? Text(_entity, "comment");

    public DateOnly? Date(params string[] properties) =>
        properties.Select(p => Text(_entity, p)).FirstOrDefault(t => t is not null) is { } text &&
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? DateOnly.FromDateTime(at.DateTime)
            : null;

    /// <summary>
    /// The status change: from a <c>changes</c> entry whose property mentions "status" (old/new or oldValue/newValue,
    /// as text or as objects with a name), else only the new status, from the entity. Ids are not shown to people.
    /// </summary>
    public (string? From, string? To) Status()
    {
        foreach (var (property, change) in Changes())
        {
            if (!property.Contains("status", StringComparison.OrdinalIgnoreCase)) continue;
            var from = Named(Get(change, "old")) ?? Named(Get(change, "oldValue"));
            var to = Named(Get(change, "new")) ?? Named(Get(change, "newValue"));
            if (from is not null && Guid.TryParse(from, out _)) from = null;
            if (to is not null && Guid.TryParse(to, out _)) to = null;
            if (from is not null || to is not null) return (from, to ?? EntityStatus);
        }
        return (null, EntityStatus);
    }

    private string? EntityStatus =>
        Named(Get(_entity, "taskStatus")) ?? Named(Get(_entity, "projectStatus")) ?? Named(Get(_entity, "status"));

    /// <summary>Changes as awork sends them, <c>[{property, old, new}]</c>, or as an object keyed by property.</summary>
    private IEnumerable<(string Property, JsonElement Change)> Changes()
    {
        if (_changes.ValueKind == JsonValueKind.Array)
        {
            foreach (var change in _changes.EnumerateArray())
                if ((Text(change, "property") ?? Text(change, "propertyName")) is { } property) yield return (property, change);
        }
        else if (_changes.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in _changes.EnumerateObject()) yield return (p.Name, p.Value);
        }
    }

    /// <summary>An absolute http(s) <c>entityLink</c>, or null; each chat's markup writes it its own way (<see cref="ChatMarkup.Url"/>).</summary>
    public Uri? Link => EntityLink is not null && Uri.TryCreate(EntityLink, UriKind.Absolute, out var uri) &&
        (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp) ? uri : null;

    private static string? Person(JsonElement e) => e.ValueKind == JsonValueKind.String ? Text(e) : FullName(e) ?? Text(e, "name");

    private static string? FullName(JsonElement e) =>
        string.Join(' ', new[] { Text(e, "firstName"), Text(e, "lastName") }.Where(n => n is not null)) is { Length: > 0 } name ? name : null;

    /// <summary>A status or similar given as text, a number, or an object with a name.</summary>
    private static string? Named(JsonElement e) => Text(e) ?? Text(e, "name");

    private static JsonElement Get(JsonElement e, string property) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(property, out var value) ? value : default;

    private static string? Text(JsonElement e, string property) => Text(Get(e, property));

    private static string? Text(JsonElement e)
    {
        try
        {
            var text = e.ValueKind switch
            {
                JsonValueKind.String => e.GetString(),
                JsonValueKind.Number => e.GetRawText(),
                _ => null,
            };
            return string.IsNullOrWhiteSpace(text) ? null : text.Trim();
        }
        catch (InvalidOperationException)
        {
            return null; // a string holding escaped lone surrogates cannot be read as .NET text
        }
    }
}
