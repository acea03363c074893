using System.Text.Json;
using Hookline.Api;
using Hookline.Auth;
using Hookline.Delivery;
using Hookline.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Hookline.Webhooks;

/// <summary>
/// A webhook's delivery policy: Hookline's, not awork's, so it has its own resource and stays out of <see cref="WebhookConfig"/>.
/// Null is the service's default. <c>ordering: "fifo"</c> sends one delivery at a time, in event order.
/// </summary>
public sealed record WebhookPolicy
{
    /// <summary>At most this many deliveries a second to this webhook, across all nodes; null: no limit.</summary>
    public int? MaxPerSecond { get; init; }
    /// <summary>At most this many deliveries in flight at once, across all nodes; null: no limit.</summary>
    public int? MaxConcurrency { get; init; }
    /// <summary>Seconds to wait for the receiver's answer; null: the service's timeout (30 s).</summary>
    public int? TimeoutSeconds { get; init; }
    /// <summary>Seconds before each retry (±10 % jitter); its length is the number of retries.</summary>
    public IReadOnlyList<int>? RetrySchedule { get; init; }
    /// <summary><c>none</c> or <c>fifo</c>.</summary>
    public string Ordering { get; init; } = "none";

    public static WebhookPolicy From(DeliveryPolicy p) => new()
    {
        MaxPerSecond = p.MaxPerSecond, MaxConcurrency = p.MaxConcurrency, TimeoutSeconds = p.TimeoutSeconds,
        RetrySchedule = p.RetrySchedule, Ordering = p.Fifo ? "fifo" : "none",
    };
}

public static class WebhookPolicies
{
    public const int MaxPerSecondLimit = 10_000, MaxConcurrencyLimit = 1_000, MaxRetries = 20, MaxRetrySeconds = 7 * 24 * 3600;

    private static readonly string[] Known = ["maxPerSecond", "maxConcurrency", "timeoutSeconds", "retrySchedule", "ordering"];

    public static void MapPolicies(this RouteGroupBuilder group)
    {
        group.MapGet("/{webhookId:guid}/policy", GetAsync).WithName("GetWebhookPolicy")
            .WithSummary("Returns the delivery policy of the webhook with the specified id (Hookline; not part of awork's API).")
            .Produces<ErrorResponse>(404).RequireAuthorization(Policies.ConfigRead);
        group.MapPut("/{webhookId:guid}/policy", PutAsync).WithName("PutWebhookPolicy")
            .WithSummary("Replaces the delivery policy of the webhook with the specified id; null is the service's default.")
            .Accepts<WebhookPolicy>("application/json").Produces<ErrorResponse>(400).Produces<ErrorResponse>(404)
            .RequireAuthorization(Policies.ConfigWrite);
    }

    private static async Task<Results<Ok<WebhookPolicy>, JsonHttpResult<ErrorResponse>>> GetAsync(
        Guid webhookId, HttpContext http, IWebhookStore store, CancellationToken ct) =>
        await store.GetPolicyAsync(http.User.WorkspaceId(), webhookId, ct) is { } policy
            ? TypedResults.Ok(WebhookPolicy.From(policy))
            : ApiError.WebhookNotFound(http, webhookId);

    private static async Task<Results<Ok<WebhookPolicy>, JsonHttpResult<ErrorResponse>>> PutAsync(
        Guid webhookId, HttpContext http, IWebhookStore store, IOptionsMonitor<DeliveryOptions> delivery, CancellationToken ct)
    {
        var workspace = http.User.WorkspaceId();
        if (await store.GetPolicyAsync(workspace, webhookId, ct) is null) return ApiError.WebhookNotFound(http, webhookId);
        var (body, error) = await JsonBody.ReadAsync(http, JsonBody.DefaultMaxBytes, ct);
        if (error is not null) return error;
        using (body)
        {
            var errors = new List<ValidationErrorResponse>();
            var policy = Read(body!.Document.RootElement, delivery.CurrentValue.Lease, errors);
            if (policy is null) return ApiError.Validation(http, errors);
            return await store.SetPolicyAsync(workspace, webhookId, policy, ct)
                ? TypedResults.Ok(WebhookPolicy.From(policy))
                : ApiError.WebhookNotFound(http, webhookId);
        }
    }

    /// <summary>Reads a policy and checks every rule, listing every bad property; null when there is one.</summary>
    public static DeliveryPolicy? Read(JsonElement root, TimeSpan lease, List<ValidationErrorResponse> errors)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new(null, "The body must be a JSON object."));
            return null;
        }
        var values = new Dictionary<string, JsonElement>();
        foreach (var property in root.EnumerateObject())
        {
            var name = Known.FirstOrDefault(k => string.Equals(k, property.Name, StringComparison.OrdinalIgnoreCase));
            if (name is null) errors.Add(new(property.Name, $"'{property.Name}' is not a property of WebhookPolicy. Known: {string.Join(", ", Known)}."));
            else if (!values.TryAdd(name, property.Value)) errors.Add(new(name, $"'{name}' is given more than once."));
        }

        int? Number(string name, int min, int max, string? why = null)
        {
            if (!values.TryGetValue(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
            if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) && n >= min && n <= max) return n;
            errors.Add(new(name, $"'{name}' must be null or a whole number from {min:N0} to {max:N0}{why}."));
            return null;
        }
        var maxTimeout = Math.Max(1, (int)Math.Ceiling(lease.TotalSeconds) - 1);
        var perSecond = Number("maxPerSecond", 1, MaxPerSecondLimit);
        var concurrency = Number("maxConcurrency", 1, MaxConcurrencyLimit);
        var timeout = Number("timeoutSeconds", 1, maxTimeout, $" (shorter than Hookline:Delivery:Lease, {lease.TotalSeconds:0.###} s)");

        IReadOnlyList<int>? schedule = null;
        if (values.TryGetValue("retrySchedule", out var s) && s.ValueKind != JsonValueKind.Null)
        {
            var steps = s.ValueKind == JsonValueKind.Array ? s.EnumerateArray().ToList() : null;
            if (steps is null || steps.Count > MaxRetries
                || steps.Any(x => x.ValueKind != JsonValueKind.Number || !x.TryGetInt32(out var n) || n < 0 || n > MaxRetrySeconds))
                errors.Add(new("retrySchedule", $"'retrySchedule' must be null or a list of at most {MaxRetries} retries, each a whole number " +
                    $"of seconds from 0 to {MaxRetrySeconds:N0} (7 days), e.g. [5, 30, 120]."));
            else schedule = steps.Select(x => x.GetInt32()).ToList();
        }

        var fifo = false;
        if (values.TryGetValue("ordering", out var o) && o.ValueKind != JsonValueKind.Null)
        {
            if (o.ValueKind == JsonValueKind.String && o.GetString() is "none" or "fifo") fifo = o.GetString() == "fifo";
            else errors.Add(new("ordering", "'ordering' must be 'none' or 'fifo'."));
        }
        if (fifo && concurrency > 1)
            errors.Add(new("maxConcurrency", "With 'ordering' 'fifo' one delivery is sent at a time: 'maxConcurrency' must be null or 1."));
        return errors.Count > 0 ? null : new DeliveryPolicy(perSecond, concurrency, timeout, schedule, fifo);
    }
}
