using System.Globalization;
using System.Text.Json;
using Hookline.Delivery.Chat;
using Hookline.Storage;
using Hookline.Webhooks;

namespace Hookline.Delivery.Discord;

/// <summary>
/// Discord receivers get the chat message as an embed: the sentence and its detail as the description, when it happened as
/// the embed's timestamp (each reader sees it in their own zone), the kind of item as its footer. No mention can ping
/// anyone: <c>allowed_mentions</c> allows none, and event data is escaped besides.
/// </summary>
public sealed class DiscordRenderer : IDeliveryRenderer
{
    /// <summary>Discord's limits for an embed's description and footer (and 6,000 characters for a whole embed).</summary>
    public const int MaxDescription = 4096, MaxFooter = 2048;

    public string ReceiverType => ReceiverTypes.Discord;

    public RenderedRequest Render(ClaimedDelivery delivery)
    {
        var m = ChatComposer.Compose(delivery.EventType, delivery.Payload, delivery.Target.Language, DiscordMarkup.Instance);
        var fit = DiscordMarkup.Instance;
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, ChatMessage.Json))
        {
            w.WriteStartObject();
            w.WriteStartObject("allowed_mentions");
            w.WriteStartArray("parse");
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteStartArray("embeds");
            w.WriteStartObject();
            w.WriteString("description", fit.Fit(m.Detail is null ? m.Sentence : m.Sentence + "\n\n" + m.Detail, MaxDescription));
            w.WriteNumber("color", 0x3B5BDB);
            if (m.At is { } at) w.WriteString("timestamp", at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
            if (m.Kind is not null)
            {
                w.WriteStartObject("footer");
                w.WriteString("text", fit.Fit(fit.Plain(m.Kind), MaxFooter));
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return new RenderedRequest(buffer.ToArray(), StandardWebhooksHeaders: false);
    }

    /// <summary>Discord answers 401 for a revoked webhook token and 404 Unknown Webhook for a deleted one: the webhook is paused.</summary>
    public string? PauseReason(int statusCode, string? responseBody) => statusCode is 401 or 404 or 410
        ? $"Paused: Discord answered {statusCode}{Said(responseBody)}: the webhook URL no longer works (deleted, or its token reset)."
        : null;

    /// <summary>A 429's wait from its body (<c>retry_after</c>, in seconds), when its header gives none.</summary>
    public TimeSpan? RetryAfter(string? responseBody)
    {
        try
        {
            using var body = JsonDocument.Parse(responseBody ?? "");
            return body.RootElement.ValueKind == JsonValueKind.Object && body.RootElement.TryGetProperty("retry_after", out var wait) &&
                wait.ValueKind == JsonValueKind.Number && wait.TryGetDouble(out var seconds) && seconds is >= 0 and < 86_400 ? TimeSpan.FromSeconds(seconds) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Said(string? body)
    {
        try
        {
            using var json = JsonDocument.Parse(body ?? "");
            return json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("message", out var message) &&
                message.GetString() is { Length: > 0 and <= 100 } text && !text.Any(char.IsControl) ? $" ({text})" : "";
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return "";
        }
    }
}

/// <summary>
/// Discord's markdown: any ASCII punctuation may be escaped with a backslash, which Discord hides, so every one in event data
/// is — no bold, link, heading, spoiler, mention (<c>&lt;@…&gt;</c>, <c>@everyone</c>) or bare URL (<c>https\://</c>) can come
/// from it. Code spans show backslashes, so code is written without them.
/// </summary>
internal sealed class DiscordMarkup : MarkdownMarkup
{
    public static readonly DiscordMarkup Instance = new();

    public override string TestSentence => "WebhookTestDiscord";

    protected override string EscapePiece(string piece) => piece.Length == 1 && char.IsAsciiLetterOrDigit(piece[0]) is false &&
        piece[0] is > ' ' and < '\u007F' ? "\\" + piece : piece;

    public override string Code(string escaped) => $"`{Plain(escaped).Replace('`', '\u02CB')}`";

    public override string Quote(IEnumerable<string> escapedLines) => string.Join('\n', escapedLines.Select(line => "> " + line));

    /// <summary>Cuts before <paramref name="max"/>, never between a backslash and what it escapes, nor inside a character.</summary>
    public override string Fit(string text, int max)
    {
        if (text.Length <= max) return text;
        var cut = max - Ellipsis.Length;
        var slashes = 0;
        while (cut - slashes - 1 >= 0 && text[cut - slashes - 1] == '\\') slashes++;
        return CutBefore(text, slashes % 2 == 1 ? cut - 1 : cut);
    }

    /// <summary>Escaped text without its escapes, for places that show backslashes (code spans, footers).</summary>
    public string Plain(string escaped)
    {
        var text = new System.Text.StringBuilder(escaped.Length);
        for (var i = 0; i < escaped.Length; i++)
        {
            if (escaped[i] == '\\' && i + 1 < escaped.Length) i++;
            text.Append(escaped[i]);
        }
        return text.ToString();
    }
}
