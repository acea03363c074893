using System.Security.Cryptography;
using System.Text.Json;
using Hookline.Api;
using Hookline.Auth;
using Hookline.Delivery;
using Hookline.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Hookline.Events;

public sealed class EventsOptions
{
    public const string Section = "Hookline:Events";
    public long MaxBodyBytes { get; set; } = JsonBody.DefaultMaxBytes;
    public long MaxBatchBodyBytes { get; set; } = 32L << 20;
    public int MaxBatchSize { get; set; } = 1000;
    public TimeSpan IdempotencyWindow { get; set; } = TimeSpan.FromHours(24);
}

/// <summary>An accepted event: committed with its deliveries.</summary>
/// <param name="Id">The event's id.</param>
/// <param name="Deliveries">How many deliveries it made: one per active webhook of the workspace subscribed to its type.</param>
public sealed record PublishResult(Guid Id, int Deliveries);

/// <summary>An accepted batch: committed with its deliveries in one transaction.</summary>
/// <param name="Ids">The events' ids, in the order they were sent.</param>
/// <param name="Deliveries">How many deliveries they made in all.</param>
public sealed record BatchPublishResult(IReadOnlyList<Guid> Ids, int Deliveries);

public static class EventsApi
{
    private const string IdempotencyHeader = "Idempotency-Key";

    public static IServiceCollection AddEvents(this IServiceCollection services)
    {
        services.AddOptions<EventsOptions>().BindConfiguration(EventsOptions.Section);
        return services;
    }

    public static RouteGroupBuilder MapEvents(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/events").WithTags("Events").RequireAuthorization(Policies.EventsPublish)
            .ProducesErrors(400, 401, 409, 413, 429);
        group.MapPost("/", (HttpContext http, IEventStore store, DeliverySignal signal, HooklineMetrics metrics, IOptions<DeliveryOptions> delivery,
                IOptions<EventsOptions> options, TimeProvider time, CancellationToken ct) =>
                PublishAsync(http, store, signal, metrics, delivery.Value, options.Value, time, batch: false, ct))
            .WithName("PublishEvent").WithSummary("Publishes one event; 202 once it and its deliveries are committed.")
            .Accepts<EventForm>("application/json").Produces<PublishResult>(202);
        group.MapPost("/batch", (HttpContext http, IEventStore store, DeliverySignal signal, HooklineMetrics metrics, IOptions<DeliveryOptions> delivery,
                IOptions<EventsOptions> options, TimeProvider time, CancellationToken ct) =>
                PublishAsync(http, store, signal, metrics, delivery.Value, options.Value, time, batch: true, ct))
            .WithName("PublishEvents").WithSummary("Publishes up to 1000 events in one transaction.")
            .Accepts<EventForm[]>("application/json").Produces<BatchPublishResult>(202);
        return group;
    }

    private static async Task<IResult> PublishAsync(HttpContext http, IEventStore store, DeliverySignal signal, HooklineMetrics metrics, DeliveryOptions delivery,
        EventsOptions options, TimeProvider time, bool batch, CancellationToken ct)
    {
        using var span = Tracing.StartIngest(http, batch);
        string? key = http.Request.Headers[IdempotencyHeader];
        if (key is not null && (key.Length is 0 or > 255 || key.Any(c => c < 0x21 || c > 0x7e)))
            return ApiError.Validation(http, [new(IdempotencyHeader, "The Idempotency-Key must be 1 to 255 visible ASCII characters.")]);

        var (body, error) = await JsonBody.ReadAsync(http, batch ? options.MaxBatchBodyBytes : options.MaxBodyBytes, ct);
        if (error is not null) return error;
        using (body)
        {
            var root = body!.Document.RootElement;
            var errors = new List<ValidationErrorResponse>();
            var now = time.GetUtcNowMs();
            var caller = http.User.WorkspaceIdOrNull();
            var traceId = ApiError.TraceId(http);
            var events = new List<PublishedEvent>();
            if (!batch) { if (EventReader.Read(root, "", caller, traceId, now, errors) is { } one) events.Add(one); }
            else if (root.ValueKind != JsonValueKind.Array) errors.Add(new(null, "The body must be a JSON array of events."));
            else if (root.GetArrayLength() is var n && (n == 0 || n > options.MaxBatchSize))
                errors.Add(new(null, $"A batch holds 1 to {options.MaxBatchSize} events."));
            else
            {
                var i = 0;
                foreach (var e in root.EnumerateArray())
                    if (EventReader.Read(e, $"[{i++}].", caller, traceId, now, errors) is { } read) events.Add(read);
            }
            if (errors.Count > 0) return ApiError.Validation(http, errors);

            var newEvents = events.Select(e => new NewEvent(Guid.CreateVersion7(now), e.WorkspaceId, e.EventType, e.IsMainEntityChange, e.Payload, now,
                span?.Id)).ToList();
            var idempotency = key is null ? null : new IdempotencyKey(
                caller?.ToString() ?? $"system:{http.User.TokenId()}", key, RequestHash(http, body.Bytes.Span), now, now - options.IdempotencyWindow);
            var outcome = await store.IngestAsync(newEvents, idempotency, delivery.MaxAttempts, results => JsonSerializer.Serialize<object>(batch
                ? new BatchPublishResult(results.Select(r => r.Id).ToList(), results.Sum(r => r.Deliveries))
                : new PublishResult(results[0].Id, results[0].Deliveries), JsonSerializerOptions.Web), ct);

            span?.SetTag("hookline.events", newEvents.Count).SetTag("hookline.outcome", outcome.Status.ToString());
            switch (outcome.Status)
            {
                case IngestStatus.KeyReused:
                    return ApiError.Create(http, 409, "idempotency-key-reused",
                        "This Idempotency-Key was already used with a different request in the last 24 hours.");
                case IngestStatus.Replayed:
                    http.Response.Headers["Idempotent-Replayed"] = "true";
                    break;
                default:
                    signal.Notify();
                    metrics.Accepted(newEvents.Count);
                    break;
            }
            return Results.Content(outcome.Response, "application/json", statusCode: StatusCodes.Status202Accepted);
        }
    }

    private static string RequestHash(HttpContext http, ReadOnlySpan<byte> body)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(System.Text.Encoding.UTF8.GetBytes(http.Request.Path.Value ?? ""));
        hash.AppendData(body);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}

/// <summary>An event as published by the producing product (documentation of the body; read by <see cref="EventReader"/>).</summary>
public sealed record EventForm
{
    /// <summary>The workspace to publish to: required with a system token; a workspace token publishes to its own.</summary>
    public Guid? WorkspaceId { get; init; }
    /// <summary>An event type from '/webhooks/eventTypes' (not an operational one: Hookline publishes those itself).</summary>
    /// <example>task_added</example>
    public required string EventType { get; init; }
    /// <summary>The id of the entity the event is about.</summary>
    public string? EntityId { get; init; }
    /// <summary>The type of the entity, e.g. task.</summary>
    /// <example>task</example>
    public string? EntityType { get; init; }
    /// <summary>The entity as receivers should see it (an object or an array).</summary>
    public JsonElement? Entity { get; init; }
    /// <summary>A link to the entity in the product; chat messages link to it.</summary>
    public string? EntityLink { get; init; }
    /// <summary>Who caused the event (an object, e.g. with firstName and lastName).</summary>
    public JsonElement? TriggeredBy { get; init; }
    /// <summary>What changed: [{property, old, new}] or an object keyed by property.</summary>
    public JsonElement? Changes { get; init; }
    /// <summary>Whether the main entity changed; webhooks with onlyTriggerForMainEntityChanges get only these. Default true.</summary>
    public bool IsMainEntityChange { get; init; } = true;
    /// <summary>A trace id carried into the deliveries (default: this request's).</summary>
    public string? TraceId { get; init; }
    /// <summary>When it happened (default: now).</summary>
    public DateTimeOffset? Timestamp { get; init; }
}
