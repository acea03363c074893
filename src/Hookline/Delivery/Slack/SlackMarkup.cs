using Hookline.Delivery.Chat;

namespace Hookline.Delivery.Slack;

/// <summary>
/// Slack mrkdwn from untrusted event text. Slack reads <c>&lt;…&gt;</c> as links and mentions and <c>&amp;</c> as the start
/// of an entity, so every value from an event has those three escaped: event data can never become a link, a mention
/// (<c>&lt;!channel&gt;</c>) or break out of Hookline's own markup.
/// </summary>
internal sealed class SlackMarkup : ChatMarkup
{
    public static readonly SlackMarkup Instance = new();

    public override string TestSentence => "WebhookTest";

    /// <summary>The three escapes Slack asks for; every other character is shown as it is.</summary>
    protected override string EscapePiece(string piece) => piece.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

    /// <summary>
    /// Inside Hookline's <c>*bold*</c> and link markup, a name's own <c>* _ ~ `</c> would end the bold early or open
    /// italics, strikethrough or code that runs into the rest of the sentence. Slack has no escape for them, so they
    /// become look-alikes (∗ ˍ ∼ ˋ): the name still reads the same. The plain-text fallback keeps the originals.
    /// </summary>
    public override string Neutralise(string escaped) =>
        escaped.Replace('*', '\u2217').Replace('_', '\u02CD').Replace('~', '\u223C').Replace('`', '\u02CB');

    public override string Bold(string neutralised) => $"*{neutralised}*";

    /// <summary>Code keeps its <c>_</c>; only a <c>`</c> would end the span.</summary>
    public override string Code(string escaped) => $"`{escaped.Replace('`', '\u02CB')}`";

    /// <summary>Link text may not hold a <c>|</c>: Slack would end the URL part of <c>&lt;url|text&gt;</c> there.</summary>
    public override string Link(string url, string escaped) => $"<{url}|{Neutralise(escaped).Replace('|', '\u00A6')}>";

    public override string? Url(Uri uri)
    {
        var escaped = Escape(uri.AbsoluteUri.Replace("|", "%7C").Replace(" ", "%20"));
        return escaped.Length <= 1500 && !escaped.Any(char.IsControl) ? escaped : null;
    }

    public override string Quote(IEnumerable<string> escapedLines) => string.Join('\n', escapedLines.Select(line => "> " + line));

    /// <summary>Hookline's last guard on a whole text: cut before <paramref name="max"/> but never inside an <c>&amp;…;</c> escape.</summary>
    public override string Fit(string text, int max)
    {
        if (text.Length <= max) return text;
        var cut = max - Ellipsis.Length;
        var amp = text.LastIndexOf('&', cut - 1);
        if (amp >= 0 && text.IndexOf(';', amp) is var semi && semi >= cut) cut = amp;
        return CutBefore(text, cut);
    }
}
