using Hookline.Security;
using Hookline.Storage;
using Hookline.Webhooks;
using Microsoft.AspNetCore.Mvc;

namespace Hookline.Portal.Pages;

public sealed class EditWebhookModel(IWebhookStore store, WebhookFormReader reader, WebhookCommands commands, SecretProtector protector) : PortalPage
{
    [BindProperty] public WebhookFormInput Input { get; set; } = new();
    public ILookup<string, string> Errors { get; private set; } = Array.Empty<string>().ToLookup(e => e);
    public Webhook Webhook { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken ct)
    {
        if (RefuseUnlessWritable() is { } refused) return refused;
        if (await store.GetAsync(WorkspaceId, id, ct) is not { } webhook) return NotFound();
        (Webhook, Input) = (webhook, WebhookFormInput.From(webhook));
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(Guid id, CancellationToken ct)
    {
        if (RefuseUnlessWritable() is { } refused) return refused;
        if (await store.GetAsync(WorkspaceId, id, ct) is not { } existing) return NotFound();
        Webhook = existing;
        var read = Input.Read(reader, protector.Unprotect(existing.Authentication));
        if (read.Form is null)
        {
            Errors = WebhookFormInput.ByField(read.Errors);
            return Page();
        }
        return await commands.UpdateAsync(existing, ActorId, read.Form, read.ReceiverType, ct) is null
            ? NotFound()
            : LocalRedirect($"/portal/webhooks/{id}?done=saved");
    }
}
