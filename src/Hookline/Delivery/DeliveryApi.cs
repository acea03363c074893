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

/// <summary>
/// What receivers verify signatures with: for <c>hmac-sha256</c> the shared secret (<c>whsec_…</c>), for <c>ed25519</c>
/// the public key (<c>whpk_…</c>; the private key never leaves Hookline).
/// </summary>
/// <param name="Key">The whsec_ secret or the whpk_ public key.</param>
/// <param name="Algorithm">hmac-sha256 (signatures v1) or ed25519 (v1a).</param>
public sealed record WebhookSecret(string Key, string Algorithm)
{
    public static WebhookSecret Of(string key) => new(key, Signing.AlgorithmOf(key));
}

/// <summary>A delivery queued again.</summary>
/// <param name="DeliveryId">The delivery's id; it keeps its webhook-id.</param>
public sealed record RedeliverResult(long DeliveryId);

/// <summary>Failed deliveries queued again.</summary>
/// <param name="Requeued">How many were queued.</param>
public sealed record RecoverResult(int Requeued);

/// <summary>Beyond awork: signing secrets, a test send, redelivery and recovery, on the webhooks route group.</summary>
public static class DeliveryApi
{
    public const string TestEventType = DeliveryCommands.TestEventType;

    public static RouteGroupBuilder MapDeliveryActions(this RouteGroupBuilder group)
    {
        group.MapGet("/{webhookId:guid}/secret", GetSecretAsync).WithName("GetWebhookSecret")
            .WithSummary("Returns the webhook's current signing secret (Standard Webhooks).").Produces<ErrorResponse>(404)
            .RequireAuthorization(Policies.ConfigWrite);
        group.MapPost("/{webhookId:guid}/secret/rotate", RotateSecretAsync).WithName("RotateWebhookSecret")
            .WithSummary("Makes a new signing secret; the old one keeps signing alongside it for the grace period.")
            .WithDescription("`algorithm`: `hmac-sha256` (Standard Webhooks v1, a shared whsec_ secret) or `ed25519` (v1a, a whpk_ public key); " +
                "by default the current secret's. Switching keeps both signatures on every delivery during the grace period.")
            .Produces<ErrorResponse>(400).Produces<ErrorResponse>(404)
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
        Guid webhookId, HttpContext http, DeliveryCommands commands, CancellationToken ct) =>
        await commands.GetSecretAsync(http.User.WorkspaceId(), webhookId, ct) is { } key
            ? TypedResults.Ok(WebhookSecret.Of(key))
            : ApiError.WebhookNotFound(http, webhookId);

    private static async Task<Results<Ok<WebhookSecret>, JsonHttpResult<ErrorResponse>>> RotateSecretAsync(
        Guid webhookId, string? algorithm, HttpContext http, DeliveryCommands commands, CancellationToken ct)
    {
        if (algorithm is not null && !Signing.Algorithms.Contains(algorithm))
            return ApiError.Validation(http, [new("algorithm", $"'algorithm' must be {string.Join(" or ", Signing.Algorithms.Select(a => $"'{a}'"))}.")]);
        return await commands.RotateSecretAsync(http.User.WorkspaceId(), webhookId, algorithm, ct) is { } key
            ? TypedResults.Ok(WebhookSecret.Of(key))
            : ApiError.WebhookNotFound(http, webhookId);
    }

    private static async Task<Results<Ok<WebhookTestResult>, JsonHttpResult<ErrorResponse>>> TestAsync(
        Guid webhookId, HttpContext http, DeliveryCommands commands, CancellationToken ct) =>
        await commands.TestAsync(http.User.WorkspaceId(), webhookId, http.User.TokenId(), ApiError.TraceId(http), ct) is { } result
            ? TypedResults.Ok(result)
            : ApiError.WebhookNotFound(http, webhookId);

    private static async Task<Results<Accepted<RedeliverResult>, JsonHttpResult<ErrorResponse>>> RedeliverAsync(
        Guid webhookId, Guid logId, HttpContext http, DeliveryCommands commands, CancellationToken ct)
    {
        var (id, refused) = await commands.RedeliverAsync(http.User.WorkspaceId(), webhookId, logId, ct);
        return refused == Refusal.None ? TypedResults.Accepted((string?)null, new RedeliverResult(id)) : Refuse(http, refused, webhookId, logId);
    }

    private static async Task<Results<Accepted<RecoverResult>, JsonHttpResult<ErrorResponse>>> RecoverAsync(
        Guid webhookId, string? since, HttpContext http, DeliveryCommands commands, CancellationToken ct)
    {
        DateTimeOffset? from = DateTimeOffset.TryParse(since, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed) ? parsed : null;
        var (count, refused) = await commands.RecoverAsync(http.User.WorkspaceId(), webhookId, from, ct);
        return refused == Refusal.None ? TypedResults.Accepted((string?)null, new RecoverResult(count)) : Refuse(http, refused, webhookId, null);
    }

    private static JsonHttpResult<ErrorResponse> Refuse(HttpContext http, Refusal refused, Guid webhookId, Guid? logId) => refused switch
    {
        Refusal.WebhookNotFound => ApiError.WebhookNotFound(http, webhookId),
        Refusal.LogNotFound => ApiError.NotFound(http, $"The webhook '{webhookId}' has no log with the id '{logId}'."),
        Refusal.TestHasNoDelivery => InvalidOperation(http, "A test send has no delivery to send again; use /test instead."),
        Refusal.WebhookInactive => InvalidOperation(http, "The webhook is inactive; activate it (PUT isActive: true) first."),
        _ => ApiError.Validation(http, [new("since", "'since' is required: an ISO 8601 date and time, e.g. 2026-01-31T12:00:00Z.")]),
    };

    private static JsonHttpResult<ErrorResponse> InvalidOperation(HttpContext http, string why) =>
        ApiError.Create(http, 400, "invalid-operation", why);
}
