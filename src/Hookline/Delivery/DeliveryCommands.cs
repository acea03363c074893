using System.Text.Json;
using Hookline.Api;
using Hookline.Security;
using Hookline.Storage;
using Hookline.Webhooks;
using Microsoft.Extensions.Options;

namespace Hookline.Delivery;

/// <summary>Why a delivery action was refused: the API answers it as an awork error, the portal says it in the reader's language.</summary>
public enum Refusal { None, WebhookNotFound, LogNotFound, TestHasNoDelivery, WebhookInactive, SinceMissing }

/// <summary>Signing secrets, test sends, redelivery and recovery, for the API and the portal alike.</summary>
public sealed class DeliveryCommands(
    IWebhookStore webhooks, IDeliveryStore deliveries, SecretProtector protector, WebhookSender sender, DeliverySignal signal,
    IOptionsMonitor<DeliveryOptions> options, TimeProvider time)
{
    public const string TestEventType = "webhook_test";

    /// <summary>How long a rotated-out secret keeps signing beside the new one.</summary>
    public TimeSpan SecretGracePeriod => options.CurrentValue.SecretGracePeriod;

    /// <summary>What receivers verify with (a <c>whsec_</c> secret, or a <c>whpk_</c> public key); null when there is no such webhook.</summary>
    public async Task<string?> GetSecretAsync(Guid workspaceId, Guid webhookId, CancellationToken ct) =>
        await webhooks.GetSecretAsync(workspaceId, webhookId, ct) is { } key ? Signing.Shown(protector.Unprotect(key)) : null;

    /// <summary>
    /// Signs with a new secret of <paramref name="algorithm"/> (null: the current one's) from now on, the old one beside it for
    /// the grace period; returns what receivers verify with, or null when there is no such webhook in the workspace.
    /// </summary>
    public async Task<string?> RotateSecretAsync(Guid workspaceId, Guid webhookId, string? algorithm, CancellationToken ct)
    {
        if (algorithm is null)
        {
            if (await webhooks.GetSecretAsync(workspaceId, webhookId, ct) is not { } current) return null;
            // Rotating is also the way out when the current secret cannot be read (a lost key ring): then a shared secret.
            try { algorithm = Signing.AlgorithmOf(protector.Unprotect(current)); }
            catch (SecretUnreadableException) { algorithm = Signing.Hmac; }
        }
        var key = Signing.NewSecret(algorithm);
        var now = time.GetUtcNowMs();
        return await webhooks.RotateSecretAsync(workspaceId, webhookId, protector.Protect(key), now, now + SecretGracePeriod, ct)
            ? Signing.Shown(key) : null;
    }

    /// <summary>Sends a signed test event now and logs it; null when there is no such webhook in the workspace.</summary>
    public async Task<WebhookTestResult?> TestAsync(Guid workspaceId, Guid webhookId, Guid by, string traceId, CancellationToken ct)
    {
        var now = time.GetUtcNowMs();
        if (await deliveries.GetTargetAsync(workspaceId, webhookId, now, ct) is not { } target) return null;
        var eventId = Guid.CreateVersion7(now);
        var payload = JsonSerializer.Serialize(new
        {
            timestamp = now.UtcDateTime, eventType = TestEventType,
            entity = new { message = "This is a test event from Hookline." },
            entityId = (string?)null, entityType = (string?)null, entityLink = (string?)null, traceId,
            triggeredBy = new { id = by }, changes = (object?)null,
        }, JsonSerializerOptions.Web);
        var delivery = new ClaimedDelivery(0, $"msg_test_{eventId:N}", eventId, TestEventType, payload, 1, 1, 0, target);
        var (outcome, message) = await sender.SendAsync(delivery, apart: true, ct); // a receiver being tried out may hang
        await webhooks.AddLogsAsync([new DeliveryLog(Guid.CreateVersion7(now), workspaceId, webhookId, eventId, TestEventType, 1, message,
            outcome.ResponseCode, outcome.Reason, outcome.Success, outcome.DurationMs, outcome.ResponseBody, time.GetUtcNowMs())], ct);
        return new WebhookTestResult(outcome.ResponseCode, outcome.Reason, outcome.Success);
    }

    /// <summary>Queues the delivery behind a log again, with the same webhook-id: its id, or why not.</summary>
    public async Task<(long DeliveryId, Refusal Refused)> RedeliverAsync(Guid workspaceId, Guid webhookId, Guid logId, CancellationToken ct)
    {
        if (await webhooks.GetAsync(workspaceId, webhookId, ct) is not { } webhook) return (0, Refusal.WebhookNotFound);
        var (found, deliveryId) = await deliveries.FindDeliveryOfLogAsync(workspaceId, webhookId, logId, ct);
        if (!found) return (0, Refusal.LogNotFound);
        if (deliveryId is not { } id) return (0, Refusal.TestHasNoDelivery);
        if (!webhook.IsActive) return (0, Refusal.WebhookInactive);
        await deliveries.RedeliverAsync(workspaceId, webhookId, id, await AttemptsAsync(workspaceId, webhookId, ct), time.GetUtcNow(), ct);
        signal.Notify();
        return (id, Refusal.None);
    }

    /// <summary>
    /// Queues again every failed or cancelled delivery created since <paramref name="since"/> (null: not given, or not a time):
    /// how many, or why not.
    /// </summary>
    public async Task<(int Requeued, Refusal Refused)> RecoverAsync(Guid workspaceId, Guid webhookId, DateTimeOffset? since, CancellationToken ct)
    {
        if (await webhooks.GetAsync(workspaceId, webhookId, ct) is not { } webhook) return (0, Refusal.WebhookNotFound);
        if (since is not { } from) return (0, Refusal.SinceMissing);
        if (!webhook.IsActive) return (0, Refusal.WebhookInactive);
        var count = await deliveries.RecoverAsync(workspaceId, webhookId, from, await AttemptsAsync(workspaceId, webhookId, ct), time.GetUtcNow(), ct);
        if (count > 0) signal.Notify();
        return (count, Refusal.None);
    }

    /// <summary>A fresh set of attempts for a delivery sent again: as many as the webhook's retry schedule allows.</summary>
    private async Task<int> AttemptsAsync(Guid workspaceId, Guid webhookId, CancellationToken ct) =>
        options.CurrentValue.MaxAttemptsFor(await webhooks.GetPolicyAsync(workspaceId, webhookId, ct) ?? DeliveryPolicy.Default);
}
