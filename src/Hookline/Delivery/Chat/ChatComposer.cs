using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;

namespace Hookline.Delivery.Chat;

/// <summary>
/// A chat message before it is written for one service: the sentence (plain, and in the service's markup), a detail
/// under it (a quoted comment, a last error), the link to the item, when it happened and what kind of item it is about.
/// </summary>
internal sealed record ChatMessage(string Plain, string Sentence, string? Detail, string? Link, DateTimeOffset? At, string? Time, string? Kind)
{
    /// <summary>How every chat body is written: letters stay readable (ä, é); quotes, &lt;, &gt; and &amp; are still \u escapes.</summary>
    public static readonly JsonWriterOptions Json = new() { Encoder = JavaScriptEncoder.Create(UnicodeRanges.All) };
}

/// <summary>
/// Writes what an awork event means for people — who did what to which item, linked to awork — in the webhook's
/// language, once for every chat service: the markup decides only how each value is written.
/// </summary>
internal static class ChatComposer
{
    // Caps per value, counted after escaping, keep every sentence well under each service's limits (Slack's 3000 characters).
    private const int MaxPerson = 100, MaxName = 250, MaxWord = 100, MaxComment = 300;

    public static ChatMessage Compose(string eventType, string payload, string? language, ChatMarkup m)
    {
        var t = ChatText.For(language);
        var e = ChatEvent.Parse(eventType, payload);
        var url = e.Link is { } link ? m.Url(link) : null;
        var actor = Part.Text(m, e.Actor ?? t["Someone"], MaxPerson);
        var person = e.PersonConcerned is { } p ? Part.Bold(m, p, MaxPerson) : Part.Text(m, t["SomeoneObject"], MaxWord);
        Part Linked(string? name) => Part.Link(m, name ?? t["Untitled"], MaxName, url);
        Part Webhook() => Part.Bold(m, e.EntityName ?? t["Untitled"], MaxName);

        var (plain, markup) = e.EventType switch
        {
            "absence_added" => Absence(e, t, m, actor, person, url),
            "company_added" => t.Sentence("CompanyAdded", actor, Linked(e.EntityName)),
            "project_added" => t.Sentence("ProjectAdded", actor, Linked(e.EntityName)),
            "project_comment_added" => t.Sentence("ProjectCommentAdded", actor, Linked(e.ParentName("project") ?? e.EntityName)),
            "project_status_changed" => StatusChanged("Project", e, t, m, actor, Linked(e.EntityName)),
            "projectmember_added" => t.Sentence("ProjectMemberAdded", actor, person, Linked(e.ParentName("project") ?? e.EntityName)),
            "task_added" => e.ParentName("project") is { } project
                ? t.Sentence("TaskAddedInProject", actor, Linked(e.EntityName), Part.Bold(m, project, MaxName))
                : t.Sentence("TaskAdded", actor, Linked(e.EntityName)),
            "task_comment_added" => t.Sentence("TaskCommentAdded", actor, Linked(e.ParentName("task") ?? e.EntityName)),
            "task_status_changed" => StatusChanged("Task", e, t, m, actor, Linked(e.EntityName)),
            "taskassignment_added" => t.Sentence(e.PersonConcerned is null ? "TaskAssignmentAddedNoAssignee" : "TaskAssignmentAdded",
                actor, person, Linked(e.ParentName("task") ?? e.EntityName)),
            "user_added" => t.Sentence("UserAdded", actor, (e.EntityName ?? e.PersonConcerned) is { } user ? Linked(user) : person),
            DeliveryApi.TestEventType => t.Sentence(m.TestSentence),
            OperationalEvents.Failing => t.Sentence("WebhookFailing", Webhook(),
                Part.Text(m, t.Count("Times", e.EntityNumber("consecutiveFailures") ?? 0), MaxWord),
                Part.Text(m, t.Count("PausedAfter", e.EntityNumber("failuresUntilPause") ?? 0), MaxWord)),
            OperationalEvents.Paused => t.Sentence("WebhookPaused", Webhook()),
            OperationalEvents.Recovered => t.Sentence("WebhookRecovered", Webhook()),
            OperationalEvents.Exhausted => t.Sentence("DeliveryExhausted", Webhook(),
                Part.Code(m, e.EntityValue("delivery", "eventType") ?? "?", MaxWord),
                Part.Text(m, t.Count("Attempts", e.EntityNumber("delivery", "attempts") ?? 0), MaxWord)),
            _ => Generic(e, t, m, actor, url),
        };
        var detail = e.EventType switch
        {
            OperationalEvents.Failing => Labelled(t, m, "LastError", e.EntityValue("lastFailureReason")),
            OperationalEvents.Paused => Labelled(t, m, "Reason", e.EntityValue("lastFailureReason")),
            OperationalEvents.Exhausted => Labelled(t, m, "LastError", e.EntityValue("delivery", "reason") ?? e.EntityValue("lastFailureReason")),
            _ when e.EventType.EndsWith("_comment_added", StringComparison.Ordinal) => Quote(e.Comment, m),
            _ => null,
        };
        var kind = e.EventType != DeliveryApi.TestEventType && e.EntityType is { } type
            ? t.EntityTypeName(type) ?? Part.Text(m, type, MaxWord).Markup
            : null;
        return new ChatMessage(plain, markup, detail, url, e.Timestamp, e.Timestamp is { } at ? t.Time(at) : null, kind);
    }

    private static (string, string) Absence(ChatEvent e, ChatText t, ChatMarkup m, Part actor, Part person, string? url)
    {
        var absence = Part.Link(m, t["AnAbsence"], MaxWord, url, bold: false);
        var (start, end) = (e.Date("startOn", "start", "startDate"), e.Date("endOn", "end", "endDate"));
        Part Day(DateOnly d) => Part.Text(m, t.LongDate(d), MaxWord);
        if (start is { } first && end is { } last && first != last)
            return t.Sentence("AbsenceAdded", actor, absence, person, Day(first), Day(last));
        return (start ?? end) is { } day
            ? t.Sentence("AbsenceAddedOn", actor, absence, person, Day(day))
            : t.Sentence("AbsenceAddedNoDates", actor, absence, person);
    }

    /// <summary>"moved the task X from A to B", or "… to B" with only the new status, or "changed the status of …".</summary>
    private static (string, string) StatusChanged(string kind, ChatEvent e, ChatText t, ChatMarkup m, Part actor, Part item)
    {
        var (from, to) = e.Status();
        if (from is not null && to is not null && from != to)
            return t.Sentence(kind + "StatusChanged", actor, item, Part.Bold(m, from, MaxWord), Part.Bold(m, to, MaxWord));
        return to is not null
            ? t.Sentence(kind + "StatusChangedTo", actor, item, Part.Bold(m, to, MaxWord))
            : t.Sentence(kind + "StatusChangedUnknown", actor, item);
    }

    /// <summary>Any other event: "{actor}: {eventType} on {entityType} {name}".</summary>
    private static (string, string) Generic(ChatEvent e, ChatText t, ChatMarkup m, Part actor, string? url)
    {
        var eventType = Part.Code(m, e.EventType, MaxWord);
        var item = e.EntityName is { } name ? Part.Link(m, name, MaxName, url) : Part.Link(m, t["AnItem"], MaxWord, url, bold: false);
        return e.EntityType is { } type
            ? t.Sentence("Generic", actor, eventType, Part.Text(m, type, MaxWord), item)
            : t.Sentence("GenericNoType", actor, eventType, item);
    }

    /// <summary>"Last error: …" under the sentence, at most 300 characters of the reason; nothing without one.</summary>
    private static string? Labelled(ChatText t, ChatMarkup m, string label, string? reason) =>
        reason is null ? null : string.Format(t.Culture, t[label], m.Neutralise(m.Escape(ChatMarkup.Clean(reason), MaxComment)));

    /// <summary>The comment's first paragraph, at most 300 characters, quoted line by line.</summary>
    private static string? Quote(string? comment, ChatMarkup m)
    {
        if (comment is null) return null;
        var paragraphs = ChatMarkup.Clean(comment, keepNewlines: true)
            .Split("\n\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (paragraphs.Length == 0) return null;
        var first = paragraphs[0] + (paragraphs.Length > 1 ? " " + ChatMarkup.Ellipsis : "");
        return m.Quote(m.Escape(ChatMarkup.Shorten(first, MaxComment)).Split('\n'));
    }
}
