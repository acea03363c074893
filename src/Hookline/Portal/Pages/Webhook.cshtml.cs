using System.Globalization;
using Hookline.Api.Querying;
using Hookline.Storage.Querying;
using Hookline.Delivery;
using Hookline.Storage;
using Hookline.Webhooks;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Localization;

namespace Hookline.Portal.Pages;

/// <summary>One webhook: its settings and state, its actions, its signing secret, and its deliveries.</summary>
public sealed class WebhookModel(IWebhookStore store, WebhookCommands webhooks, DeliveryCommands deliveries, IStringLocalizer<PortalText> t)
    : PortalPage
{
    public const int PageSize = 50;

    public Webhook Webhook { get; private set; } = null!;
    public DeliveryPolicy Policy { get; private set; } = DeliveryPolicy.Default;
    public Page<DeliveryLog> Logs { get; private set; } = new([], 0);
    public DeliveryFilter Filter { get; private set; } = new();
    public string? Message { get; private set; }
    public bool MessageIsError { get; private set; }
    public string? Secret { get; private set; }
    public bool SecretIsNew { get; private set; }
    /// <summary>How deliveries are signed now (the newest secret's kind), for those who may rotate it.</summary>
    public string Algorithm { get; private set; } = Signing.Hmac;
    public WebhookTestResult? TestResult { get; private set; }

    public async Task<IActionResult> OnGetAsync(Guid id, string? done, string? secret, [FromQuery] DeliveryFilter filter, CancellationToken ct)
    {
        Message = done switch
        {
            "created" => t["The webhook was created."].Value, "saved" => t["Saved."].Value,
            "paused" => t["The webhook is paused: nothing is sent until it is resumed."].Value,
            "resumed" => t["The webhook is active again."].Value, "redelivered" => t["The delivery was queued again."].Value, _ => null,
        };
        if (secret == "show" && CanWrite) Secret = await deliveries.GetSecretAsync(WorkspaceId, id, ct);
        return await ShowAsync(id, filter, ct);
    }

    public async Task<IActionResult> OnPostToggleAsync(Guid id, bool active, CancellationToken ct)
    {
        if (RefuseUnlessWritable() is { } refused) return refused;
        return await webhooks.SetActiveAsync(WorkspaceId, id, active, ActorId, ct) is null
            ? NotFound()
            : LocalRedirect($"/portal/webhooks/{id}?done={(active ? "resumed" : "paused")}");
    }

    public async Task<IActionResult> OnPostDeleteAsync(Guid id, CancellationToken ct)
    {
        if (RefuseUnlessWritable() is { } refused) return refused;
        return await webhooks.DeleteAsync(WorkspaceId, id, ct) ? LocalRedirect("/portal?done=deleted") : NotFound();
    }

    public async Task<IActionResult> OnPostTestAsync(Guid id, CancellationToken ct)
    {
        if (RefuseUnlessWritable() is { } refused) return refused;
        if (await deliveries.TestAsync(WorkspaceId, id, ActorId, HttpContext.TraceIdentifier, ct) is not { } result) return NotFound();
        TestResult = result;
        return await ShowAsync(id, new(), ct);
    }

    public async Task<IActionResult> OnPostRotateAsync(Guid id, string? algorithm, CancellationToken ct)
    {
        if (RefuseUnlessWritable() is { } refused) return refused;
        if (algorithm is not null && !Signing.Algorithms.Contains(algorithm)) return BadRequest();
        if (await deliveries.RotateSecretAsync(WorkspaceId, id, algorithm, ct) is not { } key) return NotFound();
        (Secret, SecretIsNew) = (key, true);
        Message = t["A new secret signs from now on. The old one signs beside it for {0} more, so receivers can switch without missing a delivery.",
            Duration(deliveries.SecretGracePeriod)];
        return await ShowAsync(id, new(), ct);
    }

    public async Task<IActionResult> OnPostRecoverAsync(Guid id, string? since, int? tz, CancellationToken ct)
    {
        if (RefuseUnlessWritable() is { } refused) return refused;
        var (count, why) = await deliveries.RecoverAsync(WorkspaceId, id, DeliveryFilter.ParseLocal(since, tz), ct);
        if (why == Refusal.WebhookNotFound) return NotFound();
        (Message, MessageIsError) = why switch
        {
            Refusal.None => (t["{0} failed deliveries were queued again.", count].Value, false),
            Refusal.WebhookInactive => (t["The webhook is paused: resume it first."].Value, true),
            _ => (t["Give the time from which to send failed deliveries again."].Value, true),
        };
        return await ShowAsync(id, new(), ct);
    }

    private async Task<IActionResult> ShowAsync(Guid id, DeliveryFilter filter, CancellationToken ct)
    {
        if (await store.GetAsync(WorkspaceId, id, ct) is not { } webhook) return NotFound();
        Webhook = webhook;
        Policy = await store.GetPolicyAsync(WorkspaceId, id, ct) ?? DeliveryPolicy.Default;
        Filter = filter;
        var query = new ListQuery(filter.ToFilter(), WebhookFields.LogDefaultOrder, Math.Max(1, filter.Page ?? 1), PageSize);
        Logs = await store.ListLogsAsync(WorkspaceId, id, query, ct);
        if (CanWrite && (Secret ?? await deliveries.GetSecretAsync(WorkspaceId, id, ct)) is { } key) Algorithm = Signing.AlgorithmOf(key);
        return Page();
    }

    /// <summary>The delivery policy in words, one part per limit that differs from the service's default.</summary>
    public IEnumerable<string> PolicyParts()
    {
        if (Policy.MaxPerSecond is { } perSecond) yield return t["at most {0} a second", perSecond];
        if (Policy.MaxConcurrency is { } atOnce) yield return t["at most {0} at a time", atOnce];
        if (Policy.Fifo) yield return t["one at a time, in event order"];
        if (Policy.TimeoutSeconds is { } timeout) yield return t["timeout {0} s", timeout];
        if (Policy.RetrySchedule is { } schedule)
            yield return schedule.Count == 0 ? t["no retries"] : t["retries after {0} s", string.Join(", ", schedule)];
    }

    private string Duration(TimeSpan span) => span.TotalHours >= 1 && span.Minutes == 0
        ? t["{0} hours", (int)span.TotalHours] : t["{0} minutes", (int)span.TotalMinutes];
}

/// <summary>The deliveries list's filters, as the page's query string carries them; turned into the API's filterby.</summary>
public sealed class DeliveryFilter
{
    public string? Outcome { get; set; }
    public string? EventType { get; set; }
    public string? From { get; set; }
    public string? To { get; set; }
    public int? Tz { get; set; }
    public int? Page { get; set; }

    public FilterNode? ToFilter()
    {
        var terms = new List<string>();
        if (Outcome is "succeeded" or "failed") terms.Add($"isSuccessful eq {(Outcome == "succeeded" ? "true" : "false")}");
        if (EventType is { } type && (EventTypes.Custom.Contains(type) || type == DeliveryCommands.TestEventType)) terms.Add($"eventType eq '{type}'");
        if (ParseLocal(From, Tz) is { } from) terms.Add($"createdOn ge datetime'{from.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}'");
        if (ParseLocal(To, Tz) is { } to) terms.Add($"createdOn lt datetime'{to.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}'");
        return terms.Count > 0 && FilterParser.TryParse(string.Join(" and ", terms), WebhookFields.Log, out var filter, out _) ? filter : null;
    }

    /// <summary>
    /// A datetime-local value in the reader's zone (<paramref name="tz"/>: minutes behind UTC, as JavaScript's getTimezoneOffset
    /// gives; the page's script fills it in) as UTC; without the zone, the value is taken as UTC.
    /// </summary>
    public static DateTimeOffset? ParseLocal(string? value, int? tz) =>
        DateTime.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local) && tz is null or (>= -1440 and <= 1440)
            ? new DateTimeOffset(DateTime.SpecifyKind(local, DateTimeKind.Unspecified), TimeSpan.Zero).AddMinutes(tz ?? 0)
            : null;
}
