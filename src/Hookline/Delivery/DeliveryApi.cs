using System.Globalization;
using System.Text.Json;
using Hookline.Api;
using Hookline.Auth;
using Hookline.Security;
using Hookline.Storage;
using Hookline.Webhooks;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Hookline.Delivery;

public sealed record WebhookSecret(string Key);

public sealed record RedeliverResult(long DeliveryId);

public sealed record RecoverResult(int Requeued);

/// <summary>Beyond awork: signing secrets, a test send, redelivery and recovery, on the webhooks route group.</summary>
public static class DeliveryApi
{
    public const string TestEventType = "webhook_test";

    public static RouteGroupBuilder MapDeliveryActions(this RouteGroupBuilder group)
    {
        group.MapGet("/{webhookId:guid}/secret", GetSecretAsync).WithName("GetWebhookSecret")
            .WithSummary("Returns the webhook's current signing secret (Standard Webhooks).").Produces<ErrorResponse>(404)
            .RequireAuthorization(Policies.ConfigWrite);
        group.MapPost("/{webhookId:guid}/secret/rotate", RotateSecretAsync).WithName("RotateWebhookSecret")
            .WithSummary("Makes a new signing secret; the old one keeps signing alongside it for the grace period.").Produces<ErrorResponse>(404)
            .RequireAuthorization(Policies.ConfigWrite);
        group.MapPost("/{webhookId:guid}/test", TestAsync).WithName("TestWebhook")
            .WithSummary("Sends a signed test event now and returns the receiver's answer.").Produces<ErrorResponse>(404)
            .RequireAuthorization(Policies.ConfigWrite);
        group.MapPost("/{webhookId:guid}/logs/{logId:guid}/redeliver", RedeliverAsync).WithName("RedeliverWebhookLog")
            .WithSummary("Queues the delivery behind this log again, with the same webhook-id.").Produces<ErrorResponse>(400)
            .Produces<ErrorResponse>(404).RequireAuthorization(Policies.ConfigWrite);
        group.MapPost("/{webhookId:guid}/recover", RecoverAsync).WithName("RecoverWebhook")
            .WithSummary("Queues again every failed or cancelled delivery created since the given time.").Produces<ErrorResponse>(400)
            .Produces<ErrorResponse>(404).RequireAuthorization(Policies.ConfigWrite);
        return group;
    }

    private static async Task<Results<Ok<WebhookSecret>, JsonHttpResult<ErrorResponse>>> GetSecretAsync(
        Guid webhookId, HttpContext http, IWebhookStore store, SecretProtector protector, CancellationToken ct) =>
        await store.GetSecretAsync(http.User.WorkspaceId(), webhookId, ct) is { } key
            ? TypedResults.Ok(new WebhookSecret(protector.Unprotect(key)))
            : ApiError.WebhookNotFound(http, webhookId);

    private static async Task<Results<Ok<WebhookSecret>, JsonHttpResult<ErrorResponse>>> RotateSecretAsync(
        Guid webhookId, HttpContext http, IWebhookStore store, SecretProtector protector, IOptionsMonitor<DeliveryOptions> options,
        TimeProvider time, CancellationToken ct)
    {
        var key = Signing.NewSecret();
        var now = time.GetUtcNowMs();
        return await store.RotateSecretAsync(http.User.WorkspaceId(), webhookId, protector.Protect(key), now, now + options.CurrentValue.SecretGracePeriod, ct)
            ? TypedResults.Ok(new WebhookSecret(key))
            : ApiError.WebhookNotFound(http, webhookId);
    }

    private static async Task<Results<Ok<WebhookTestResult>, JsonHttpResult<ErrorResponse>>> TestAsync(
        Guid webhookId, HttpContext http, IDeliveryStore deliveries, IWebhookStore webhooks, WebhookSender sender, TimeProvider time,
        CancellationToken ct)
    {
        var workspace = http.User.WorkspaceId();
        var now = time.GetUtcNowMs();
        if (await deliveries.GetTargetAsync(workspace, webhookId, now, ct) is not { } target) return ApiError.WebhookNotFound(http, webhookId);

        var eventId = Guid.CreateVersion7(now);
        var payload = JsonSerializer.Serialize(new
        {
            timestamp = now.UtcDateTime, eventType = TestEventType,
            entity = new { message = "This is a test event from Hookline." },
            entityId = (string?)null, entityType = (string?)null, entityLink = (string?)null, traceId = ApiError.TraceId(http),
            triggeredBy = new { id = http.User.TokenId() }, changes = (object?)null,
        }, JsonSerializerOptions.Web);
        var delivery = new ClaimedDelivery(0, $"msg_test_{eventId:N}", eventId, TestEventType, payload, 1, 1, 0, target);
        var (outcome, message) = await sender.SendAsync(delivery, ct);
        await webhooks.AddLogsAsync([new DeliveryLog(Guid.CreateVersion7(now), workspace, webhookId, eventId, TestEventType, 1, message,
            outcome.ResponseCode, outcome.Reason, outcome.Success, outcome.DurationMs, outcome.ResponseBody, time.GetUtcNowMs())], ct);
        return TypedResults.Ok(new WebhookTestResult(outcome.ResponseCode, outcome.Reason, outcome.Success));
    }

    private static async Task<Results<Accepted<RedeliverResult>, JsonHttpResult<ErrorResponse>>> RedeliverAsync(
        Guid webhookId, Guid logId, HttpContext http, IDeliveryStore deliveries, IWebhookStore webhooks, DeliverySignal signal,
        IOptionsMonitor<DeliveryOptions> options, TimeProvider time, CancellationToken ct)
    {
        var workspace = http.User.WorkspaceId();
        if (await webhooks.GetAsync(workspace, webhookId, ct) is not { } webhook) return ApiError.WebhookNotFound(http, webhookId);
        var (found, deliveryId) = await deliveries.FindDeliveryOfLogAsync(workspace, webhookId, logId, ct);
        if (!found) return ApiError.NotFound(http, $"The webhook '{webhookId}' has no log with the id '{logId}'.");
        if (deliveryId is not { } id) return InvalidOperation(http, "A test send has no delivery to send again; use /test instead.");
        if (!webhook.IsActive) return InvalidOperation(http, "The webhook is inactive; activate it (PUT isActive: true) first.");
        await deliveries.RedeliverAsync(workspace, webhookId, id, options.CurrentValue.MaxAttempts, time.GetUtcNow(), ct);
        signal.Notify();
        return TypedResults.Accepted((string?)null, new RedeliverResult(id));
    }

    private static async Task<Results<Accepted<RecoverResult>, JsonHttpResult<ErrorResponse>>> RecoverAsync(
        Guid webhookId, string? since, HttpContext http, IDeliveryStore deliveries, IWebhookStore webhooks, DeliverySignal signal,
        IOptionsMonitor<DeliveryOptions> options, TimeProvider time, CancellationToken ct)
    {
        var workspace = http.User.WorkspaceId();
        if (await webhooks.GetAsync(workspace, webhookId, ct) is not { } webhook) return ApiError.WebhookNotFound(http, webhookId);
        if (!DateTimeOffset.TryParse(since, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var from))
            return ApiError.Validation(http, [new("since", "'since' is required: an ISO 8601 date and time, e.g. 2026-01-31T12:00:00Z.")]);
        if (!webhook.IsActive) return InvalidOperation(http, "The webhook is inactive; activate it (PUT isActive: true) first.");
        var count = await deliveries.RecoverAsync(workspace, webhookId, from, options.CurrentValue.MaxAttempts, time.GetUtcNow(), ct);
        if (count > 0) signal.Notify();
        return TypedResults.Accepted((string?)null, new RecoverResult(count));
    }


    private static JsonHttpResult<ErrorResponse> InvalidOperation(HttpContext http, string why) =>
        ApiError.Create(http, 400, "invalid-operation", why);
}
