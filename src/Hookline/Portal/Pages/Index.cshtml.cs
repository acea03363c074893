using Hookline.Storage;
using Hookline.Webhooks;

namespace Hookline.Portal.Pages;

/// <summary>The workspace's webhooks with their state and the last 24 hours of attempts.</summary>
public sealed class IndexModel(IWebhookStore store, TimeProvider time) : PortalPage
{
    public IReadOnlyList<Webhook> Webhooks { get; private set; } = [];
    public IReadOnlyDictionary<Guid, WebhookActivity> Activity { get; private set; } = new Dictionary<Guid, WebhookActivity>();
    public string? Done { get; private set; }

    public async Task OnGetAsync(string? done, CancellationToken ct)
    {
        Done = done;
        var page = await store.ListAsync(WorkspaceId, new ListQuery(null, WebhookFields.ConfigDefaultOrder, 1, Api.Paging.MaxPageSize), ct);
        Webhooks = page.Items;
        Activity = await store.ActivityAsync(WorkspaceId, time.GetUtcNow().AddHours(-24), ct);
    }
}
