using System.Text.Json;
using Hookline.Delivery.Chat;
using Hookline.Storage;
using Hookline.Webhooks;

namespace Hookline.Delivery.Teams;

/// <summary>
/// Microsoft Teams receivers (Workflows and Office connector webhooks) get the chat message as an Adaptive Card 1.5: the
/// sentence, a detail and a context line as text blocks, and the item's link as an "Open" action.
/// </summary>
public sealed class TeamsRenderer : IDeliveryRenderer
{
    /// <summary>Teams cuts long texts itself; these keep a card small (its whole payload may be at most about 28 KB).</summary>
    private const int MaxText = 3000;

    public string ReceiverType => ReceiverTypes.Teams;

    public RenderedRequest Render(ClaimedDelivery delivery)
    {
        var m = ChatComposer.Compose(delivery.EventType, delivery.Payload, delivery.Target.Language, TeamsMarkup.Instance);
        var words = ChatText.For(delivery.Target.Language);
        var fit = TeamsMarkup.Instance;
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, ChatMessage.Json))
        {
            w.WriteStartObject();
            w.WriteString("type", "message");
            w.WriteStartArray("attachments");
            w.WriteStartObject();
            w.WriteString("contentType", "application/vnd.microsoft.card.adaptive");
            w.WriteNull("contentUrl");
            w.WriteStartObject("content");
            w.WriteString("$schema", "http://adaptivecards.io/schemas/adaptive-card.json");
            w.WriteString("type", "AdaptiveCard");
            w.WriteString("version", "1.5");
            w.WriteString("lang", words.Culture.TwoLetterISOLanguageName);
            w.WriteString("fallbackText", fit.Fit(m.Plain, MaxText));
            w.WriteStartArray("body");
            TextBlock(w, fit.Fit(m.Sentence, MaxText), subtle: false);
            if (m.Detail is not null) TextBlock(w, fit.Fit(m.Detail, MaxText), subtle: true);
            if (string.Join(" · ", new[] { m.Time, m.Kind }.OfType<string>()) is { Length: > 0 } context)
                TextBlock(w, fit.Fit(context, MaxText), subtle: true, small: true);
            w.WriteEndArray();
            if (m.Link is not null)
            {
                w.WriteStartArray("actions");
                w.WriteStartObject();
                w.WriteString("type", "Action.OpenUrl");
                w.WriteString("title", words["Open"]);
                w.WriteString("url", m.Link);
                w.WriteEndObject();
                w.WriteEndArray();
            }
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return new RenderedRequest(buffer.ToArray(), StandardWebhooksHeaders: false);
    }

    private static void TextBlock(Utf8JsonWriter w, string text, bool subtle, bool small = false)
    {
        w.WriteStartObject();
        w.WriteString("type", "TextBlock");
        w.WriteString("text", text);
        w.WriteBoolean("wrap", true);
        if (subtle) w.WriteBoolean("isSubtle", true);
        if (small)
        {
            w.WriteString("size", "Small");
            w.WriteString("spacing", "Small");
        }
        w.WriteEndObject();
    }

    /// <summary>A workflow or connector that was deleted answers 404 or 410: the webhook is paused, saying so.</summary>
    public string? PauseReason(int statusCode, string? responseBody) => statusCode is 404 or 410
        ? $"Paused: Teams answered {statusCode}: the webhook URL no longer works (the workflow or connector was deleted or turned off)."
        : null;
}

/// <summary>
/// The markdown of Adaptive Card text blocks (bold, italics, links, lists). It has no escape characters, so event data's own
/// <c>* _ [ ] ` ~</c> become look-alikes (∗ ˍ ［ ］ ˋ ∼), and a word joiner after <c>:</c> and <c>.</c> keeps a URL or a
/// domain in event data from being turned into a link. Mentions need the card's own entities: text cannot make one.
/// </summary>
internal sealed class TeamsMarkup : MarkdownMarkup
{
    public static readonly TeamsMarkup Instance = new();

    public override string TestSentence => "WebhookTestTeams";

    protected override string EscapePiece(string piece) => piece switch
    {
        "*" => "\u2217", "_" => "\u02CD", "[" => "\uFF3B", "]" => "\uFF3D", "`" => "\u02CB", "~" => "\u223C",
        ":" => ":\u2060", "." => ".\u2060",
        _ => piece,
    };

    public override string Code(string escaped) => escaped;

    public override string Quote(IEnumerable<string> escapedLines) => string.Join('\n', escapedLines);
}
