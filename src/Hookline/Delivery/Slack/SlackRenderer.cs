using Hookline.Delivery.Chat;
using Hookline.Storage;
using Hookline.Webhooks;
using Microsoft.Extensions.Options;

namespace Hookline.Delivery.Slack;

/// <summary>
/// Slack receivers get a message written for people — who did what to which item, linked to awork — in the webhook's
/// language, as an incoming-webhook body (<c>text</c> + Block Kit <c>blocks</c>). Slack checks no signatures.
/// </summary>
public sealed class SlackRenderer(IOptionsMonitor<SlackOptions>? options = null) : IDeliveryRenderer
{
    public string ReceiverType => ReceiverTypes.Slack;

    /// <summary>Off unless Hookline:Slack:StandardWebhooksHeaders is set: Slack ignores them; the URL is its secret.</summary>
    private bool Signed => options?.CurrentValue.StandardWebhooksHeaders == true;

    public RenderedRequest Render(ClaimedDelivery delivery)
    {
        var m = ChatComposer.Compose(delivery.EventType, delivery.Payload, delivery.Target.Language, SlackMarkup.Instance);
        var context = new[] { m.Time, m.Kind }.OfType<string>().ToList();
        return new RenderedRequest(new SlackMessage(m.Plain, m.Sentence, m.Detail, context).ToJson(), Signed);
    }

    /// <summary>
    /// Slack's answers for a webhook that is gone: 403 action_prohibited, 404 no_service / channel_not_found,
    /// 410 channel_is_archived. 400 invalid_payload is Hookline's bug (the log shows it), 429 is retried.
    /// </summary>
    public string? PauseReason(int statusCode, string? responseBody)
    {
        if (statusCode is not (403 or 404 or 410)) return null;
        var said = responseBody?.Trim() is { Length: > 0 and <= 100 } body && !body.Any(char.IsControl) ? " " + body : "";
        return $"Paused: Slack answered {statusCode}{said}: the webhook URL no longer works (revoked, channel deleted or archived).";
    }
}
