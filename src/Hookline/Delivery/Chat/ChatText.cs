using System.Globalization;
using System.Resources;

namespace Hookline.Delivery.Chat;

/// <summary>
/// The words of a chat message in the webhook's language, from ChatMessages.resx (English) and ChatMessages.de.resx.
/// Any <c>de-*</c> culture reads German, any <c>en-*</c> English, each with its own dates; everything else, and no
/// language, is en-GB throughout, so an unsupported language never mixes English words with foreign dates.
/// </summary>
internal sealed class ChatText
{
    private static readonly ResourceManager Messages = new("Hookline.Delivery.Chat.ChatMessages", typeof(ChatText).Assembly);
    private static readonly CultureInfo Fallback = CultureInfo.GetCultureInfo("en-GB");
    private static readonly string[] Supported = ["en", "de"];

    private readonly string _longDate;

    private ChatText(CultureInfo culture)
    {
        Culture = culture;
        _longDate = WithoutWeekday(culture.DateTimeFormat.LongDatePattern);
    }

    public CultureInfo Culture { get; }

    public static ChatText For(string? language) => new(CultureFor(language));

    private static CultureInfo CultureFor(string? language)
    {
        if (string.IsNullOrWhiteSpace(language)) return Fallback;
        try
        {
            var culture = CultureInfo.GetCultureInfo(language.Trim(), predefinedOnly: true);
            return Supported.Contains(culture.TwoLetterISOLanguageName) ? culture : Fallback;
        }
        catch (CultureNotFoundException)
        {
            return Fallback;
        }
    }

    public string this[string key] =>
        Messages.GetString(key, Culture) ?? throw new InvalidOperationException($"ChatMessages.resx has no '{key}'.");

    /// <summary>The localized name of an awork entity type ("task" → "Task" / "Aufgabe"), or null for types it does not know.</summary>
    public string? EntityTypeName(string entityType) =>
        entityType.All(char.IsAsciiLetter) ? Messages.GetString("Type_" + entityType.ToLowerInvariant(), Culture) : null;

    /// <summary>One sentence twice over: with the parts' plain text for the fallback, and with their mrkdwn for the blocks.</summary>
    public (string Plain, string Markup) Sentence(string key, params Part[] parts) =>
        (string.Format(Culture, this[key], parts.Select(p => (object)p.Plain).ToArray()),
            string.Format(Culture, this[key], parts.Select(p => (object)p.Markup).ToArray()));

    /// <summary>A count in words: <paramref name="key"/>_one for 1 ("once", "einmal"), else <paramref name="key"/>_other with the number.</summary>
    public string Count(string key, int n) => string.Format(Culture, this[key + (n == 1 ? "_one" : "_other")], n);

    /// <summary>A date as the culture writes it in full, without the weekday: 1 March 2026, March 1, 2026, 1. März 2026.</summary>
    public string LongDate(DateOnly date) => date.ToString(_longDate, Culture);

    /// <summary>When the event happened, in UTC: "27 November 2026, 09:17 UTC".</summary>
    public string Time(DateTimeOffset at) =>
        string.Format(Culture, this["EventTime"], LongDate(DateOnly.FromDateTime(at.UtcDateTime)), at.UtcDateTime.ToString("t", Culture));

    private static string WithoutWeekday(string pattern)
    {
        var at = pattern.IndexOf("dddd", StringComparison.Ordinal);
        if (at < 0) return pattern;
        var rest = pattern.Remove(at, 4);
        return at == 0 ? rest.TrimStart(',', ' ', '.') : rest.Trim().TrimEnd(',');
    }
}
