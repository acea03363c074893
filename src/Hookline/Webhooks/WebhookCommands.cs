using Hookline.Api;
using Hookline.Security;
using Hookline.Storage;

namespace Hookline.Webhooks;

/// <summary>
/// What changes a workspace's webhooks, for the API and the portal alike: one set of rules, whoever asks. Forms are read
/// and checked by <see cref="WebhookFormReader"/> first; <paramref name="by"/> is the token (or portal link) acting.
/// </summary>
public sealed class WebhookCommands(IWebhookStore store, SecretProtector protector, TimeProvider time)
{
    public async Task<Webhook> CreateAsync(Guid workspaceId, Guid by, WebhookConfigForm form, string receiverType, CancellationToken ct)
    {
        var now = time.GetUtcNowMs();
        var webhook = new Webhook(Guid.NewGuid(), workspaceId, form.Name, form.Uri, form.Language, form.Events, form.IsActive,
            form.OnlyTriggerForMainEntityChanges, form.AuthenticationType, form.Authentication, receiverType, null, now, by, now, by);
        await store.InsertAsync(webhook with { Authentication = protector.Protect(webhook.Authentication) },
            protector.Protect(Delivery.Signing.NewSecret()), ct);
        return webhook;
    }

    /// <summary>The webhook as updated; null when there is no such webhook in the workspace (any more).</summary>
    public async Task<Webhook?> UpdateAsync(Webhook existing, Guid by, WebhookConfigForm form, string receiverType, CancellationToken ct)
    {
        var updated = existing with
        {
            Name = form.Name, Uri = form.Uri, Language = form.Language, Events = form.Events, IsActive = form.IsActive,
            OnlyTriggerForMainEntityChanges = form.OnlyTriggerForMainEntityChanges, AuthenticationType = form.AuthenticationType,
            Authentication = form.Authentication, ReceiverType = receiverType, UpdatedOn = time.GetUtcNowMs(), UpdatedBy = by,
        };
        return await store.UpdateAsync(updated with { Authentication = protector.Protect(updated.Authentication) }, ct) ? updated : null;
    }

    /// <summary>Pauses (deactivates, which cancels its queue) or resumes a webhook; every other field stays.</summary>
    public async Task<Webhook?> SetActiveAsync(Guid workspaceId, Guid webhookId, bool active, Guid by, CancellationToken ct)
    {
        if (await store.GetAsync(workspaceId, webhookId, ct) is not { } existing) return null;
        var updated = existing with { IsActive = active, UpdatedOn = time.GetUtcNowMs(), UpdatedBy = by };
        return await store.UpdateAsync(updated, ct) ? updated : null; // authentication as stored: already protected
    }

    public Task<bool> DeleteAsync(Guid workspaceId, Guid webhookId, CancellationToken ct) => store.DeleteAsync(workspaceId, webhookId, ct);
}
