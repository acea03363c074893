using System.Globalization;
using System.Text;

namespace Hookline.Delivery.Chat;

/// <summary>
/// How one chat service writes a message's text from untrusted event data: its escaping (so event data never becomes a
/// link, a mention or markup of its own), bold, code and links. Slack, Teams and Discord messages are composed once
/// (<see cref="ChatComposer"/>) and written in each one's markup. Lengths count the written text, and cuts fall between
/// whole characters (grapheme clusters), never inside an escape or an emoji.
/// </summary>
internal abstract class ChatMarkup
{
    public const string Ellipsis = "…";

    /// <summary>The sentence of a test send (ChatMessages.resx), which names the service.</summary>
    public abstract string TestSentence { get; }

    /// <summary>One character (a grapheme cluster) of event text, written so that it reads as itself.</summary>
    protected abstract string EscapePiece(string piece);

    /// <summary>Escaped text made safe inside this markup's bold and link syntax.</summary>
    public virtual string Neutralise(string escaped) => escaped;

    public abstract string Bold(string neutralised);

    /// <summary>An identifier (an event type) set apart as code.</summary>
    public abstract string Code(string escaped);

    /// <summary>A link to <paramref name="url"/> (from <see cref="Url"/>) with escaped text.</summary>
    public abstract string Link(string url, string escaped);

    /// <summary>The link target as this markup writes it, or null when it cannot be written safely (then nothing is linked).</summary>
    public abstract string? Url(Uri uri);

    /// <summary>Lines of escaped text shown as a quote.</summary>
    public abstract string Quote(IEnumerable<string> escapedLines);

    /// <summary>Cuts a whole written text to <paramref name="max"/> characters at most, never inside a character (a markup with escapes also never inside one).</summary>
    public virtual string Fit(string text, int max) => text.Length <= max ? text : CutBefore(text, max - Ellipsis.Length);

    /// <summary><paramref name="text"/> up to <paramref name="cut"/> (moved back off a surrogate pair's second half) and "…".</summary>
    protected static string CutBefore(string text, int cut)
    {
        if (cut > 0 && char.IsLowSurrogate(text[cut]) && char.IsHighSurrogate(text[cut - 1])) cut--;
        return text[..cut] + Ellipsis;
    }

    /// <summary>Escapes <paramref name="raw"/> and shortens it to at most <paramref name="max"/> chars, ending in "…" when cut.</summary>
    public string Escape(string raw, int max) => Cut(raw, max, EscapePiece);

    public string Escape(string raw)
    {
        var text = new StringBuilder(raw.Length);
        var elements = StringInfo.GetTextElementEnumerator(raw);
        while (elements.MoveNext()) text.Append(EscapePiece(elements.GetTextElement()));
        return text.ToString();
    }

    /// <summary>Shortens <paramref name="raw"/> to at most <paramref name="max"/> chars, ending in "…" when cut.</summary>
    public static string Shorten(string raw, int max) => Cut(raw, max, piece => piece);

    private static string Cut(string raw, int max, Func<string, string> map)
    {
        var text = new StringBuilder(raw.Length);
        var elements = StringInfo.GetTextElementEnumerator(raw);
        while (elements.MoveNext()) text.Append(map(elements.GetTextElement()));
        if (text.Length <= max) return text.ToString();
        text.Clear();
        elements.Reset();
        while (elements.MoveNext())
        {
            var piece = map(elements.GetTextElement());
            if (text.Length + piece.Length > max - Ellipsis.Length) break;
            text.Append(piece);
        }
        return text.ToString().TrimEnd() + Ellipsis;
    }

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
        var lines = text.ToString().Split('\n').Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries)));
        return string.Join('\n', lines).Trim('\n', ' ');
    }
}

/// <summary>
/// Markdown as Teams' Adaptive Cards and Discord read it: <c>**bold**</c> and <c>[text](url)</c>, the URL with its
/// parentheses and spaces encoded so that it cannot end the link early.
/// </summary>
internal abstract class MarkdownMarkup : ChatMarkup
{
    public override string Bold(string neutralised) => $"**{neutralised}**";

    public override string Link(string url, string escaped) => $"[{escaped}]({url})";

    public override string? Url(Uri uri)
    {
        var url = uri.AbsoluteUri.Replace("(", "%28").Replace(")", "%29").Replace(" ", "%20");
        return url.Length <= 1500 && !url.Any(char.IsControl) ? url : null;
    }
}

/// <summary>One value in a sentence: escaped plain text for a notification's fallback, and the markup for the message.</summary>
internal readonly record struct Part(string Plain, string Markup)
{
    public static Part Text(ChatMarkup m, string raw, int max)
    {
        var text = m.Escape(ChatMarkup.Clean(raw), max);
        return new(text, m.Neutralise(text));
    }

    public static Part Bold(ChatMarkup m, string raw, int max)
    {
        var text = m.Escape(ChatMarkup.Clean(raw), max);
        return new(text, m.Bold(m.Neutralise(text)));
    }

    /// <summary>Code, for identifiers such as event types.</summary>
    public static Part Code(ChatMarkup m, string raw, int max)
    {
        var text = m.Escape(ChatMarkup.Clean(raw), max);
        return new(text, m.Code(text));
    }

    /// <summary>A link when <paramref name="url"/> (from <see cref="ChatMarkup.Url"/>) is given; bold unless told.</summary>
    public static Part Link(ChatMarkup m, string raw, int max, string? url, bool bold = true)
    {
        if (url is null) return bold ? Bold(m, raw, max) : Text(m, raw, max);
        var text = m.Escape(ChatMarkup.Clean(raw), max);
        var link = m.Link(url, text);
        return new(text, bold ? m.Bold(link) : link);
    }
}
