using Hookline.Storage;
using Hookline.Webhooks;

namespace Hookline.Delivery;

/// <summary>What goes over the wire for one delivery; <see cref="StandardWebhooksHeaders"/> adds webhook-id, -timestamp and -signature.</summary>
public sealed record RenderedRequest(byte[] Body, bool StandardWebhooksHeaders);

/// <summary>Turns a delivery into a request for one kind of receiver, and reads what its answers mean.</summary>
public interface IDeliveryRenderer
{
    string ReceiverType { get; }

    RenderedRequest Render(ClaimedDelivery delivery);

    /// <summary>Non-null when this answer means the receiver is gone for good: the webhook is paused at once, saying why.</summary>
    string? PauseReason(int statusCode, string? responseBody);

    /// <summary>How long a 429 or 503 asks to wait, read from its body, when its <c>Retry-After</c> header says nothing.</summary>
    TimeSpan? RetryAfter(string? responseBody) => null;
}

/// <summary>Custom receivers get awork's payload exactly as rendered at ingest, signed.</summary>
public sealed class CustomRenderer : IDeliveryRenderer
{
    public string ReceiverType => ReceiverTypes.Custom;

    public RenderedRequest Render(ClaimedDelivery delivery) =>
        new(System.Text.Encoding.UTF8.GetBytes(delivery.Payload), StandardWebhooksHeaders: true);

    public string? PauseReason(int statusCode, string? responseBody) =>
        statusCode == 410 ? "Paused: the receiver answered 410 Gone, so it no longer wants these deliveries." : null;
}
