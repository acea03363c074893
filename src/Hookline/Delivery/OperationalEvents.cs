using System.Text.Json;
using Hookline.Api;
using Hookline.Storage;
using Hookline.Webhooks;
using Microsoft.Extensions.Options;

namespace Hookline.Delivery;

/// <summary>
/// Hookline's own events about a workspace's webhooks, delivered like any event to the webhooks that subscribe to them and
/// never to the webhook they are about: <c>webhook_failing</c> when a failing streak reaches half and four fifths of the pause
/// threshold (once each per streak), <c>webhook_paused</c> (with the reason), <c>webhook_recovered</c> (the first success after
/// an announced streak or a resume) and <c>delivery_exhausted</c>. The payload has awork's shape; the entity is the webhook's
/// public fields (no authentication value; a URI without its query, a Slack URI without its secret path) and the figures.
/// </summary>
public sealed class OperationalEvents(IOptionsMonitor<DeliveryOptions> options, DeliverySignal signal, TimeProvider time) : IAnnouncer
{
    public const string Failing = "webhook_failing", Paused = "webhook_paused", Recovered = "webhook_recovered", Exhausted = "delivery_exhausted";

    public int MaxAttempts => options.CurrentValue.MaxAttempts;

    public void Queued(int deliveries) => signal.Notify();

    public IReadOnlyList<NewEvent> Compose(IReadOnlyList<WebhookAlert> alerts, IReadOnlyList<ExhaustedDelivery> exhausted, int pauseAfter)
    {
        var now = time.GetUtcNowMs();
        var (first, second) = ResultSteps.WarningsAt(pauseAfter);
        var events = new List<NewEvent>();
        void Add(string type, Webhook w, int failures, object? delivery = null) =>
            events.Add(new NewEvent(Guid.CreateVersion7(now), w.WorkspaceId, type, true, Payload(type, w, failures, pauseAfter, now, delivery), now,
                About: w.Id));

        foreach (var (w, failures, due) in alerts)
        {
            // A recovery and a new streak in one batch: the recovery came first unless the webhook ends the batch healthy.
            var recoveredFirst = failures > 0 || !w.IsActive;
            if (due.HasFlag(WebhookAlerts.Recovered) && recoveredFirst) Add(Recovered, w, 0);
            if (due.HasFlag(WebhookAlerts.FirstWarning)) Add(Failing, w, first);
            if (due.HasFlag(WebhookAlerts.SecondWarning)) Add(Failing, w, second);
            if (due.HasFlag(WebhookAlerts.Paused)) Add(Paused, w, failures);
            if (due.HasFlag(WebhookAlerts.Recovered) && !recoveredFirst) Add(Recovered, w, 0);
        }
        foreach (var (r, w, failures) in exhausted)
            Add(Exhausted, w, failures, new
            {
                r.Delivery.MessageId, r.Delivery.EventId, r.Delivery.EventType, Attempts = r.Delivery.Attempt, r.ResponseCode, r.Reason,
            });
        return events;
    }

    /// <summary>The payload of one operational event (also what the portal shows as its example).</summary>
    public static string Payload(string eventType, Webhook w, int failures, int pauseAfter, DateTimeOffset at, object? delivery = null) =>
        JsonSerializer.Serialize(new
        {
            timestamp = at.UtcDateTime, eventType,
            entity = new
            {
                w.Id, w.Name, Uri = PublicUri(w), w.Language, w.Events, w.IsActive, w.OnlyTriggerForMainEntityChanges, w.AuthenticationType,
                w.ReceiverType, w.LastFailureReason, CreatedOn = w.CreatedOn.UtcDateTime, w.CreatedBy, UpdatedOn = w.UpdatedOn.UtcDateTime,
                w.UpdatedBy, ConsecutiveFailures = failures, PauseAfterConsecutiveFailures = pauseAfter,
                FailuresUntilPause = w.IsActive ? Math.Max(0, pauseAfter - failures) : 0, Delivery = delivery,
            },
            entityId = w.Id, entityType = "webhook", entityLink = (string?)null, traceId = (string?)null, triggeredBy = (object?)null,
            changes = Array.Empty<object>(),
        }, JsonSerializerOptions.Web);

    /// <summary>
    /// Where the webhook posts, without what may be a secret: user info, query and fragment, and for Slack the path (a Slack
    /// webhook's URL is its secret). Operational events may go to another receiver than the webhook's own.
    /// </summary>
    public static string PublicUri(Webhook w)
    {
        if (!Uri.TryCreate(w.Uri, UriKind.Absolute, out var uri)) return "";
        var origin = $"{uri.Scheme}://{uri.Authority}";
        return w.ReceiverType == ReceiverTypes.Custom ? origin + uri.AbsolutePath : origin + "/…";
    }
}
