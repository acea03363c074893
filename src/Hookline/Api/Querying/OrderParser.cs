using System.Diagnostics.CodeAnalysis;
using Hookline.Storage.Querying;

namespace Hookline.Api.Querying;

/// <summary>Parses <c>orderby</c>: comma-separated <c>property [asc|desc]</c> terms against a whitelist.</summary>
public static class OrderParser
{
    public const int MaxTerms = 10;
    public const int MaxLength = 1000;

    public static bool TryParse(
        string? text,
        QueryFields fields,
        out IReadOnlyList<OrderTerm> terms,
        [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(fields);
        terms = [];
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }
        if (text.Length > MaxLength)
        {
            error = $"The sort order is too long ({text.Length} characters; the maximum is {MaxLength}).";
            return false;
        }
        var parts = text.Split(',');
        if (parts.Length > MaxTerms)
        {
            error = $"The sort order has too many terms ({parts.Length}; the maximum is {MaxTerms}).";
            return false;
        }
        var result = new List<OrderTerm>(parts.Length);
        var position = 1;
        foreach (var part in parts)
        {
            error = ParseTerm(part, position, fields, result);
            if (error is not null)
            {
                return false;
            }
            position += part.Length + 1;
        }
        terms = result;
        return true;
    }

    private static string? ParseTerm(string part, int position, QueryFields fields, List<OrderTerm> result)
    {
        var words = part.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0)
        {
            return $"Empty term in orderby at position {position}; expected 'property', 'property asc' or 'property desc'.";
        }
        if (!fields.TryGet(words[0], out var field))
        {
            return $"Unknown property '{FilterToken.Trim(words[0])}'. Sortable properties: {fields.Names}.";
        }
        if (words.Length > 2 || words.Length == 2 && !IsDirection(words[1]))
        {
            var extra = FilterToken.Trim(string.Join(' ', words.Skip(1)));
            return $"Unexpected '{extra}' after '{field.Name}' in orderby term at position {position}; expected asc or desc.";
        }
        if (result.Any(t => t.Field == field))
        {
            return $"Property '{field.Name}' appears more than once in orderby.";
        }
        result.Add(new OrderTerm(field, words.Length == 2 && words[1].Equals("desc", StringComparison.OrdinalIgnoreCase)));
        return null;
    }

    private static bool IsDirection(string word) =>
        word.Equals("asc", StringComparison.OrdinalIgnoreCase) || word.Equals("desc", StringComparison.OrdinalIgnoreCase);
}
