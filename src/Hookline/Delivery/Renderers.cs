using Hookline.Storage;
using Hookline.Webhooks;

namespace Hookline.Delivery;

/// <summary>What goes over the wire for one delivery; <see cref="Signed"/> adds Standard Webhooks and auth headers.</summary>
public sealed record RenderedRequest(byte[] Body, bool Signed);

/// <summary>Turns a delivery into a request body for one kind of receiver (custom JSON now; Slack plugs in here).</summary>
public interface IDeliveryRenderer
{
    string ReceiverType { get; }
    RenderedRequest Render(ClaimedDelivery delivery);
}

/// <summary>Custom receivers get awork's payload exactly as rendered at ingest, signed.</summary>
public sealed class CustomRenderer : IDeliveryRenderer
{
    public string ReceiverType => ReceiverTypes.Custom;
    public RenderedRequest Render(ClaimedDelivery delivery) => new(System.Text.Encoding.UTF8.GetBytes(delivery.Payload), Signed: true);
}
