using System.Globalization;
using System.Text;

namespace Hookline.Delivery.Slack;

/// <summary>
/// Slack mrkdwn from untrusted event text. Slack reads <c>&lt;…&gt;</c> as links and mentions and <c>&amp;</c> as the start
/// of an entity, so every value from an event has those three escaped: event data can never become a link, a mention
/// (<c>&lt;!channel&gt;</c>) or break out of Hookline's own markup. Truncation counts the escaped text and cuts only
/// between whole characters (grapheme clusters), so it never splits <c>&amp;amp;</c> or an emoji.
/// </summary>
internal static class Mrkdwn
{
    public const string Ellipsis = "…";

    /// <summary>Escapes <paramref name="raw"/> and shortens it to at most <paramref name="max"/> chars, ending in "…" when cut.</summary>
    public static string Escape(string raw, int max) => Cut(raw, max, Escape);

    /// <summary>Shortens <paramref name="raw"/> to at most <paramref name="max"/> chars, ending in "…" when cut.</summary>
    public static string Shorten(string raw, int max) => Cut(raw, max, piece => piece);

    private static string Cut(string raw, int max, Func<string, string> map)
    {
        var full = map(raw);
        if (full.Length <= max) return full;
        var text = new StringBuilder(max);
        var elements = StringInfo.GetTextElementEnumerator(raw);
        while (elements.MoveNext())
        {
            var piece = map(elements.GetTextElement());
            if (text.Length + piece.Length > max - Ellipsis.Length) break;
            text.Append(piece);
        }
        return text.ToString().TrimEnd() + Ellipsis;
    }

    /// <summary>The three escapes Slack asks for; every other character is shown as it is.</summary>
    public static string Escape(string raw) => raw.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

    /// <summary>
    /// Inside Hookline's <c>*bold*</c> and link markup, a name's own <c>* _ ~ `</c> would end the bold early or open
    /// italics, strikethrough or code that runs into the rest of the sentence. Slack has no escape for them, so they
    /// become look-alikes (∗ ˍ ∼ ˋ): the name still reads the same. The plain-text fallback keeps the originals.
    /// </summary>
    public static string Neutralise(string escaped) =>
        escaped.Replace('*', '\u2217').Replace('_', '\u02CD').Replace('~', '\u223C').Replace('`', '\u02CB');

    /// <summary>Link text may not hold a <c>|</c>: Slack would end the URL part of <c>&lt;url|text&gt;</c> there.</summary>
    public static string LinkText(string escaped) => Neutralise(escaped).Replace('|', '\u00A6');

    /// <summary>
    /// Printable text: control characters and bidi overrides become spaces (or go), lone surrogates become U+FFFD, runs
    /// of spaces shrink to one. Newlines stay only when <paramref name="keepNewlines"/>; the result is trimmed.
    /// </summary>
    public static string Clean(string raw, bool keepNewlines = false)
    {
        var text = new StringBuilder(raw.Length);
        for (var i = 0; i < raw.Length; i++)
        {
            var c = raw[i];
            if (char.IsHighSurrogate(c) && i + 1 < raw.Length && char.IsLowSurrogate(raw[i + 1])) { text.Append(c).Append(raw[++i]); continue; }
            if (char.IsSurrogate(c)) { text.Append('\uFFFD'); continue; }
            if (c is '\r' && i + 1 < raw.Length && raw[i + 1] == '\n') continue;
            var newline = c is '\n' or '\r' or '\u2028' or '\u2029';
            if (newline && keepNewlines) { text.Append('\n'); continue; }
            if (c is >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069') continue;
            text.Append(newline || char.IsControl(c) || char.IsWhiteSpace(c) ? ' ' : c);
        }
        return Squeeze(text.ToString());
    }

    private static string Squeeze(string text)
    {
        var lines = text.Split('\n').Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries)));
        return string.Join('\n', lines).Trim('\n', ' ');
    }

    /// <summary>Hookline's last guard on a whole text: cut before <paramref name="max"/> but never inside an <c>&amp;…;</c> escape.</summary>
    public static string Fit(string text, int max)
    {
        if (text.Length <= max) return text;
        var cut = max - Ellipsis.Length;
        var amp = text.LastIndexOf('&', cut - 1);
        if (amp >= 0 && text.IndexOf(';', amp) is var semi && semi >= cut) cut = amp;
        if (cut > 0 && char.IsLowSurrogate(text[cut]) && char.IsHighSurrogate(text[cut - 1])) cut--;
        return text[..cut] + Ellipsis;
    }
}

/// <summary>One value in a sentence: escaped plain text for the notification fallback, and mrkdwn for the blocks.</summary>
internal readonly record struct Part(string Plain, string Markup)
{
    public static Part Text(string raw, int max)
    {
        var text = Mrkdwn.Escape(Mrkdwn.Clean(raw), max);
        return new(text, Mrkdwn.Neutralise(text));
    }

    public static Part Bold(string raw, int max)
    {
        var text = Mrkdwn.Escape(Mrkdwn.Clean(raw), max);
        return new(text, $"*{Mrkdwn.Neutralise(text)}*");
    }

    /// <summary>Code, for identifiers such as event types: their <c>_</c> stays as it is, only a <c>`</c> would end the span.</summary>
    public static Part Code(string raw, int max)
    {
        var text = Mrkdwn.Escape(Mrkdwn.Clean(raw), max);
        return new(text, $"`{text.Replace('`', '\u02CB')}`");
    }

    /// <summary>A link when <paramref name="url"/> (already escaped, see <see cref="SlackEvent.LinkUrl"/>) is given; bold unless told.</summary>
    public static Part Link(string raw, int max, string? url, bool bold = true)
    {
        if (url is null) return bold ? Bold(raw, max) : Text(raw, max);
        var text = Mrkdwn.Escape(Mrkdwn.Clean(raw), max);
        var link = $"<{url}|{Mrkdwn.LinkText(text)}>";
        return new(text, bold ? $"*{link}*" : link);
    }
}
