using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using Hookline.Storage.Querying;

namespace Hookline.Api.Querying;

internal enum FilterTokenKind { End, Word, String, Number, Guid, DateTime, Open, Close, Comma }

/// <summary>Text is the word, the unescaped string content or the raw number; Value holds parsed literals.</summary>
internal readonly record struct FilterToken(FilterTokenKind Kind, int Position, string Text, object? Value = null)
{
    public bool Is(string keyword) => Kind == FilterTokenKind.Word && Text.Equals(keyword, StringComparison.OrdinalIgnoreCase);

    public string Describe() => Kind switch
    {
        FilterTokenKind.End => "the end of the filter",
        FilterTokenKind.String => $"the string '{Trim(Text)}'",
        FilterTokenKind.Number => $"the number {Trim(Text)}",
        FilterTokenKind.Guid => "a guid literal",
        FilterTokenKind.DateTime => "a datetime literal",
        _ => $"'{Trim(Text)}'",
    };

    // Echoing user text back is useful, but never in bulk.
    public static string Trim(string text) => text.Length <= 40 ? text : string.Concat(text.AsSpan(0, 40), "…");
}

internal static class FilterLexer
{
    private static readonly string[] DateFormats = ["yyyy-MM-dd", "yyyy-MM-ddTHH:mmK", "yyyy-MM-ddTHH:mm:ss.FFFFFFFK"];

    public static bool TryTokenize(string text, out List<FilterToken> tokens, [NotNullWhen(false)] out string? error)
    {
        tokens = [];
        var i = 0;
        while (true)
        {
            while (i < text.Length && char.IsWhiteSpace(text[i]))
            {
                i++;
            }
            if (i == text.Length)
            {
                tokens.Add(new FilterToken(FilterTokenKind.End, i, ""));
                error = null;
                return true;
            }
            var start = i;
            var c = text[i];
            FilterTokenKind? punctuation = c switch { '(' => FilterTokenKind.Open, ')' => FilterTokenKind.Close, ',' => FilterTokenKind.Comma, _ => null };
            FilterToken token;
            if (punctuation is { } kind)
            {
                token = new FilterToken(kind, i++, c.ToString());
            }
            else if (c == '\'')
            {
                if (!TryReadString(text, ref i, out var value, out error))
                {
                    return false;
                }
                token = new FilterToken(FilterTokenKind.String, start, value);
            }
            else if (char.IsAsciiDigit(c) || (c == '-' && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1])))
            {
                if (!TryReadNumber(text, ref i, out token, out error))
                {
                    return false;
                }
            }
            else if (char.IsAsciiLetter(c) || c == '_')
            {
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] is '_' or '/'))
                {
                    i++;
                }
                token = new FilterToken(FilterTokenKind.Word, start, text[start..i]);
                if (i < text.Length && text[i] == '\'' && !TryReadTypedLiteral(text, ref i, ref token, out error))
                {
                    return false;
                }
            }
            else
            {
                var shown = char.IsControl(c) || char.IsSurrogate(c) ? $"U+{(int)c:X4}" : $"'{c}'";
                error = $"Unexpected character {shown} at position {start + 1}.";
                return false;
            }
            tokens.Add(token);
        }
    }

    public static bool TryParseDate(string text, out DateTimeOffset value) =>
        DateTimeOffset.TryParseExact(text, DateFormats, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value);

    private static bool TryReadString(string text, ref int i, out string value, [NotNullWhen(false)] out string? error)
    {
        var start = i++;
        var builder = new StringBuilder();
        while (i < text.Length)
        {
            if (text[i] == '\0')
            {
                // No stored text holds U+0000, and PostgreSQL refuses it in a parameter: a 500 there, not a mismatch.
                value = "";
                error = $"U+0000 is not allowed in a string (position {i + 1}).";
                return false;
            }
            if (text[i] != '\'')
            {
                builder.Append(text[i++]);
            }
            else if (i + 1 < text.Length && text[i + 1] == '\'')
            {
                builder.Append('\'');
                i += 2;
            }
            else
            {
                i++;
                value = builder.ToString();
                error = null;
                return true;
            }
        }
        value = "";
        error = $"Unterminated string starting at position {start + 1} (write a quote inside a string as '').";
        return false;
    }

    private static bool TryReadNumber(string text, ref int i, out FilterToken token, [NotNullWhen(false)] out string? error)
    {
        var start = i;
        i = SkipDigits(text, text[i] == '-' ? i + 1 : i);
        if (i < text.Length && text[i] == '.')
        {
            i = SkipDigits(text, i + 1);
        }
        var exponent = i < text.Length && text[i] is 'e' or 'E' ? i + 1 : -1;
        if (exponent > 0 && exponent < text.Length && text[exponent] is '+' or '-')
        {
            exponent++;
        }
        if (exponent > 0 && exponent < text.Length && char.IsAsciiDigit(text[exponent]))
        {
            i = SkipDigits(text, exponent);
        }
        var end = i;
        if (i < text.Length && text[i] is 'm' or 'M' or 'l' or 'L' or 'f' or 'F' or 'd' or 'D')
        {
            i++;
        }
        var tail = i;
        while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] is '_' or '.'))
        {
            i++;
        }
        token = new FilterToken(FilterTokenKind.Number, start, text[start..i]);
        if (text[end - 1] == '.' || i != tail ||
            !decimal.TryParse(text.AsSpan(start, end - start), NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            error = $"Invalid number '{FilterToken.Trim(token.Text)}' at position {start + 1}.";
            return false;
        }
        token = token with { Value = number };
        error = null;
        return true;
    }

    private static int SkipDigits(string text, int i)
    {
        while (i < text.Length && char.IsAsciiDigit(text[i]))
        {
            i++;
        }
        return i;
    }

    private static bool TryReadTypedLiteral(string text, ref int i, ref FilterToken token, [NotNullWhen(false)] out string? error)
    {
        var prefix = token.Text.ToLowerInvariant();
        if (prefix is not ("guid" or "datetime" or "datetimeoffset"))
        {
            error = null; // Leave the quote for the next token; the parser reports it in context.
            return true;
        }
        if (!TryReadString(text, ref i, out var raw, out error))
        {
            return false;
        }
        object? value = prefix == "guid"
            ? Guid.TryParseExact(raw, "D", out var guid) ? guid : null
            : TryParseDate(raw, out var date) ? date : null;
        if (value is null)
        {
            var example = prefix == "guid" ? "guid'3fa85f64-5717-4562-b3fc-2c963f66afa6'" : $"{prefix}'2024-01-31T12:00:00Z'";
            error = $"Invalid {prefix} literal '{FilterToken.Trim(raw)}' at position {token.Position + 1}; expected e.g. {example}.";
            return false;
        }
        token = new FilterToken(prefix == "guid" ? FilterTokenKind.Guid : FilterTokenKind.DateTime, token.Position, raw, value);
        return true;
    }
}
