using System.Text.Json;
using Hookline.Delivery.Chat;

namespace Hookline.Delivery.Slack;

/// <summary>
/// A Slack incoming-webhook message: the plain sentence as the notification text, then Block Kit — the sentence in
/// mrkdwn, an optional detail (a quoted comment), and a context line. All text here is already escaped mrkdwn.
/// </summary>
internal sealed record SlackMessage(string Text, string Sentence, string? Detail, IReadOnlyList<string> Context)
{
    /// <summary>Slack's limit for a message's text, a section's text and a context element's text.</summary>
    public const int MaxText = 3000;

    public byte[] ToJson()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, ChatMessage.Json))
        {
            w.WriteStartObject();
            w.WriteString("text", SlackMarkup.Instance.Fit(Text, MaxText));
            w.WriteStartArray("blocks");
            Section(w, Sentence);
            if (Detail is not null) Section(w, Detail);
            if (Context.Count > 0)
            {
                w.WriteStartObject();
                w.WriteString("type", "context");
                w.WriteStartArray("elements");
                foreach (var element in Context.Take(10)) TextObject(w, element);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static void Section(Utf8JsonWriter w, string text)
    {
        w.WriteStartObject();
        w.WriteString("type", "section");
        w.WritePropertyName("text");
        TextObject(w, text);
        w.WriteEndObject();
    }

    /// <summary>
    /// A mrkdwn text object with <c>verbatim</c>: Slack then does not turn bare URLs, #channel names or @mentions in
    /// event text into links or pings, while Hookline's own <c>&lt;url|text&gt;</c> links still work.
    /// </summary>
    private static void TextObject(Utf8JsonWriter w, string text)
    {
        w.WriteStartObject();
        w.WriteString("type", "mrkdwn");
        w.WriteString("text", SlackMarkup.Instance.Fit(text, MaxText));
        w.WriteBoolean("verbatim", true);
        w.WriteEndObject();
    }
}
