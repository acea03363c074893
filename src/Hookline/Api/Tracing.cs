using System.Diagnostics;
using Hookline.Storage;
using OpenTelemetry.Trace;

namespace Hookline.Api;

/// <summary>
/// Spans for what Hookline does: taking a request of events in (<c>ingest</c>) and each attempt to deliver one
/// (<c>deliver</c>), linked to the ingest span of its event, which may have been on another node, minutes before.
/// Exported over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (or <c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c>) is set and
/// configured by the other standard <c>OTEL_*</c> variables; without one no span is made at all. Attributes are ids,
/// types, counts and status codes: never a URL, a header, a payload or a secret.
/// </summary>
public static class Tracing
{
    public const string SourceName = "Hookline";
    public static readonly ActivitySource Source = new(SourceName, typeof(Tracing).Assembly.GetName().Version?.ToString(3));

    public static IServiceCollection AddHooklineTracing(this IServiceCollection services, IConfiguration configuration)
    {
        services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddSource(SourceName));
        if (!string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"])
            || !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]))
            services.AddOpenTelemetry().WithTracing(tracing => tracing.AddOtlpExporter());
        return services;
    }

    /// <summary>The span of one ingest request; a child of the producer's span when it sent a W3C <c>traceparent</c>.</summary>
    public static Activity? StartIngest(HttpContext http, bool batch)
    {
        if (!Source.HasListeners()) return null;
        ActivityContext.TryParse(http.Request.Headers.TraceParent, http.Request.Headers.TraceState, isRemote: true, out var parent);
        var span = Source.StartActivity("ingest", ActivityKind.Server, parent);
        span?.SetTag("hookline.batch", batch);
        return span;
    }

    /// <summary>The span of one attempt, linked to its event's ingest span (kept with the event as a W3C traceparent).</summary>
    public static Activity? StartAttempt(ClaimedDelivery delivery)
    {
        if (!Source.HasListeners()) return null;
        ActivityLink[]? links = delivery.TraceParent is { } ingest && ActivityContext.TryParse(ingest, null, isRemote: true, out var context)
            ? [new ActivityLink(context)] : null;
        var span = Source.StartActivity("deliver", ActivityKind.Client, parentContext: default, links: links);
        span?.SetTag("hookline.delivery.id", delivery.Id)
            .SetTag("hookline.webhook.id", delivery.Target.Id.ToString())
            .SetTag("hookline.workspace.id", delivery.Target.WorkspaceId.ToString())
            .SetTag("hookline.event.id", delivery.EventId.ToString())
            .SetTag("hookline.event.type", delivery.EventType)
            .SetTag("hookline.receiver.type", delivery.Target.ReceiverType)
            .SetTag("hookline.attempt", delivery.Attempt);
        return span;
    }
}
