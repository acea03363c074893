using Hookline.Storage;
using Hookline.Webhooks;
using Microsoft.Extensions.Options;

namespace Hookline.Delivery.Slack;

/// <summary>
/// Slack receivers get a message written for people — who did what to which item, linked to awork — in the webhook's
/// language, as an incoming-webhook body (<c>text</c> + Block Kit <c>blocks</c>). Slack checks no signatures.
/// </summary>
public sealed class SlackRenderer(IOptionsMonitor<SlackOptions>? options = null) : IDeliveryRenderer
{
    // Caps per value, counted after escaping, keep every sentence well under Slack's 3000 characters.
    private const int MaxPerson = 100, MaxName = 250, MaxWord = 100, MaxComment = 300;

    public string ReceiverType => ReceiverTypes.Slack;

    /// <summary>Off unless Hookline:Slack:StandardWebhooksHeaders is set: Slack ignores them; the URL is its secret.</summary>
    private bool Signed => options?.CurrentValue.StandardWebhooksHeaders == true;

    public RenderedRequest Render(ClaimedDelivery delivery)
    {
        var text = SlackText.For(delivery.Target.Language);
        var e = SlackEvent.Parse(delivery.EventType, delivery.Payload);
        return new RenderedRequest(Compose(e, text).ToJson(), Signed);
    }

    /// <summary>
    /// Slack's answers for a webhook that is gone: 403 action_prohibited, 404 no_service / channel_not_found,
    /// 410 channel_is_archived. 400 invalid_payload is Hookline's bug (the log shows it), 429 is retried.
    /// </summary>
    public string? PauseReason(int statusCode, string? responseBody)
    {
        if (statusCode is not (403 or 404 or 410)) return null;
        var said = responseBody?.Trim() is { Length: > 0 and <= 100 } body && !body.Any(char.IsControl) ? " " + body : "";
        return $"Paused: Slack answered {statusCode}{said}: the webhook URL no longer works (revoked, channel deleted or archived).";
    }

    private static SlackMessage Compose(SlackEvent e, SlackText t)
    {
        var url = e.LinkUrl();
        var actor = Part.Text(e.Actor ?? t["Someone"], MaxPerson);
        var person = e.PersonConcerned is { } p ? Part.Bold(p, MaxPerson) : Part.Text(t["SomeoneObject"], MaxWord);
        Part Linked(string? name) => Part.Link(name ?? t["Untitled"], MaxName, url);

        var (plain, markup) = e.EventType switch
        {
            "absence_added" => Absence(e, t, actor, person, url),
            "company_added" => t.Sentence("CompanyAdded", actor, Linked(e.EntityName)),
            "project_added" => t.Sentence("ProjectAdded", actor, Linked(e.EntityName)),
            "project_comment_added" => t.Sentence("ProjectCommentAdded", actor, Linked(e.ParentName("project") ?? e.EntityName)),
            "project_status_changed" => StatusChanged("Project", e, t, actor, Linked(e.EntityName)),
            "projectmember_added" => t.Sentence("ProjectMemberAdded", actor, person, Linked(e.ParentName("project") ?? e.EntityName)),
            "task_added" => e.ParentName("project") is { } project
                ? t.Sentence("TaskAddedInProject", actor, Linked(e.EntityName), Part.Bold(project, MaxName))
                : t.Sentence("TaskAdded", actor, Linked(e.EntityName)),
            "task_comment_added" => t.Sentence("TaskCommentAdded", actor, Linked(e.ParentName("task") ?? e.EntityName)),
            "task_status_changed" => StatusChanged("Task", e, t, actor, Linked(e.EntityName)),
            "taskassignment_added" => t.Sentence(e.PersonConcerned is null ? "TaskAssignmentAddedNoAssignee" : "TaskAssignmentAdded",
                actor, person, Linked(e.ParentName("task") ?? e.EntityName)),
            "user_added" => t.Sentence("UserAdded", actor, (e.EntityName ?? e.PersonConcerned) is { } user ? Linked(user) : person),
            DeliveryApi.TestEventType => t.Sentence("WebhookTest"),
            OperationalEvents.Failing => t.Sentence("WebhookFailing", Webhook(e, t),
                Part.Text(t.Count("Times", e.EntityNumber("consecutiveFailures") ?? 0), MaxWord),
                Part.Text(t.Count("PausedAfter", e.EntityNumber("failuresUntilPause") ?? 0), MaxWord)),
            OperationalEvents.Paused => t.Sentence("WebhookPaused", Webhook(e, t)),
            OperationalEvents.Recovered => t.Sentence("WebhookRecovered", Webhook(e, t)),
            OperationalEvents.Exhausted => t.Sentence("DeliveryExhausted", Webhook(e, t),
                Part.Code(e.EntityValue("delivery", "eventType") ?? "?", MaxWord),
                Part.Text(t.Count("Attempts", e.EntityNumber("delivery", "attempts") ?? 0), MaxWord)),
            _ => Generic(e, t, actor, url),
        };
        var detail = e.EventType switch
        {
            OperationalEvents.Failing => Labelled(t, "LastError", e.EntityValue("lastFailureReason")),
            OperationalEvents.Paused => Labelled(t, "Reason", e.EntityValue("lastFailureReason")),
            OperationalEvents.Exhausted => Labelled(t, "LastError", e.EntityValue("delivery", "reason") ?? e.EntityValue("lastFailureReason")),
            _ when e.EventType.EndsWith("_comment_added", StringComparison.Ordinal) => Quote(e.Comment),
            _ => null,
        };
        return new SlackMessage(plain, markup, detail, Context(e, t));
    }

    private static (string, string) Absence(SlackEvent e, SlackText t, Part actor, Part person, string? url)
    {
        var absence = Part.Link(t["AnAbsence"], MaxWord, url, bold: false);
        var (start, end) = (e.Date("startOn", "start", "startDate"), e.Date("endOn", "end", "endDate"));
        Part Day(DateOnly d) => Part.Text(t.LongDate(d), MaxWord);
        if (start is { } first && end is { } last && first != last)
            return t.Sentence("AbsenceAdded", actor, absence, person, Day(first), Day(last));
        return (start ?? end) is { } day
            ? t.Sentence("AbsenceAddedOn", actor, absence, person, Day(day))
            : t.Sentence("AbsenceAddedNoDates", actor, absence, person);
    }

    /// <summary>"moved the task X from A to B", or "… to B" with only the new status, or "changed the status of …".</summary>
    private static (string, string) StatusChanged(string kind, SlackEvent e, SlackText t, Part actor, Part item)
    {
        var (from, to) = e.Status();
        if (from is not null && to is not null && from != to)
            return t.Sentence(kind + "StatusChanged", actor, item, Part.Bold(from, MaxWord), Part.Bold(to, MaxWord));
        return to is not null
            ? t.Sentence(kind + "StatusChangedTo", actor, item, Part.Bold(to, MaxWord))
            : t.Sentence(kind + "StatusChangedUnknown", actor, item);
    }

    /// <summary>Any other event: "{actor}: {eventType} on {entityType} {name}".</summary>
    private static (string, string) Generic(SlackEvent e, SlackText t, Part actor, string? url)
    {
        var eventType = Part.Code(e.EventType, MaxWord);
        var item = e.EntityName is { } name ? Part.Link(name, MaxName, url) : Part.Link(t["AnItem"], MaxWord, url, bold: false);
        return e.EntityType is { } type
            ? t.Sentence("Generic", actor, eventType, Part.Text(type, MaxWord), item)
            : t.Sentence("GenericNoType", actor, eventType, item);
    }

    /// <summary>An operational event's webhook, by name.</summary>
    private static Part Webhook(SlackEvent e, SlackText t) => Part.Bold(e.EntityName ?? t["Untitled"], MaxName);

    /// <summary>"Last error: …" under the sentence, at most 300 characters of the reason; nothing without one.</summary>
    private static string? Labelled(SlackText t, string label, string? reason) =>
        reason is null ? null : string.Format(t.Culture, t[label], Mrkdwn.Neutralise(Mrkdwn.Escape(Mrkdwn.Clean(reason), MaxComment)));

    /// <summary>The comment's first paragraph, at most 300 characters, quoted line by line.</summary>
    private static string? Quote(string? comment)
    {
        if (comment is null) return null;
        var paragraphs = Mrkdwn.Clean(comment, keepNewlines: true)
            .Split("\n\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (paragraphs.Length == 0) return null;
        var first = paragraphs[0] + (paragraphs.Length > 1 ? " " + Mrkdwn.Ellipsis : "");
        var text = Mrkdwn.Escape(Mrkdwn.Shorten(first, MaxComment));
        return string.Join('\n', text.Split('\n').Select(line => "> " + line));
    }

    /// <summary>When it happened, and what kind of item it is about.</summary>
    private static List<string> Context(SlackEvent e, SlackText t)
    {
        var context = new List<string>();
        if (e.Timestamp is { } at) context.Add(t.Time(at));
        if (e.EventType != DeliveryApi.TestEventType && e.EntityType is { } type)
            context.Add(t.EntityTypeName(type) ?? Part.Text(type, MaxWord).Markup);
        return context;
    }
}
