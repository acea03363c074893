using Hookline.Delivery;
using Hookline.Storage;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Localization;

namespace Hookline.Portal.Pages;

/// <summary>One attempt: what was sent (body and headers, secrets masked), what came back, and a way to send it again.</summary>
public sealed class AttemptModel(IWebhookStore store, DeliveryCommands deliveries, IStringLocalizer<PortalText> t) : PortalPage
{
    public Webhook Webhook { get; private set; } = null!;
    public LogDetail Detail { get; private set; } = null!;
    public string? Error { get; private set; }

    public async Task<IActionResult> OnGetAsync(Guid id, Guid logId, CancellationToken ct) => await ShowAsync(id, logId, ct);

    public async Task<IActionResult> OnPostRedeliverAsync(Guid id, Guid logId, CancellationToken ct)
    {
        if (RefuseUnlessWritable() is { } refused) return refused;
        var (_, why) = await deliveries.RedeliverAsync(WorkspaceId, id, logId, ct);
        switch (why)
        {
            case Refusal.None: return LocalRedirect($"/portal/webhooks/{id}?done=redelivered#deliveries");
            case Refusal.WebhookNotFound or Refusal.LogNotFound: return NotFound();
            case Refusal.TestHasNoDelivery: Error = t["A test event has no delivery to send again: send a new test event instead."]; break;
            default: Error = t["The webhook is paused: resume it first."]; break;
        }
        return await ShowAsync(id, logId, ct);
    }

    private async Task<IActionResult> ShowAsync(Guid id, Guid logId, CancellationToken ct)
    {
        if (await store.GetAsync(WorkspaceId, id, ct) is not { } webhook) return NotFound();
        if (await store.GetLogAsync(WorkspaceId, id, logId, ct) is not { } detail) return NotFound();
        (Webhook, Detail) = (webhook, detail);
        return Page();
    }

    /// <summary>
    /// The headers Hookline sends with every delivery, as they were for this attempt: the signature is not kept, and the
    /// authentication header's value is a secret, so both are shown masked.
    /// </summary>
    public IEnumerable<(string Name, string Value)> Headers()
    {
        yield return ("Content-Type", "application/json");
        if (Detail.MessageId is { } messageId) yield return ("webhook-id", messageId);
        yield return ("webhook-timestamp", t["(the time of sending, in unix seconds)"]);
        yield return ("webhook-signature", "v1,••••••••");
        if (Webhook.AuthenticationType == "header" && Webhook.Authentication is not null)
            yield return (t["(the header set on the webhook)"], "••••••••");
    }
}
