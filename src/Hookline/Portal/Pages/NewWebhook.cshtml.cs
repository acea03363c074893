using Hookline.Webhooks;
using Microsoft.AspNetCore.Mvc;

namespace Hookline.Portal.Pages;

public sealed class NewWebhookModel(WebhookFormReader reader, WebhookCommands commands) : PortalPage
{
    [BindProperty] public WebhookFormInput Input { get; set; } = new();
    public ILookup<string, string> Errors { get; private set; } = Array.Empty<string>().ToLookup(e => e);

    public IActionResult OnGet() => RefuseUnlessWritable() ?? Page();

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (RefuseUnlessWritable() is { } refused) return refused;
        var read = Input.Read(reader);
        if (read.Form is null)
        {
            Errors = WebhookFormInput.ByField(read.Errors);
            return Page();
        }
        var created = await commands.CreateAsync(WorkspaceId, ActorId, read.Form, read.ReceiverType, ct);
        return LocalRedirect($"/portal/webhooks/{created.Id}?done=created");
    }
}
