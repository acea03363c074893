using System.Diagnostics.CodeAnalysis;
using Hookline.Storage.Querying;

namespace Hookline.Api.Querying;

/// <summary>
/// Parses awork's <c>filterby</c> (a subset of OData v2) against a whitelist of fields.
/// Never throws on user input: every problem comes back as a human-readable error.
/// </summary>
public static class FilterParser
{
    public const int MaxLength = 4000;
    public const int MaxDepth = 32;
    public const int MaxConditions = 100;

    public static bool TryParse(
        string? text,
        QueryFields fields,
        [NotNullWhen(true)] out FilterNode? node,
        [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(fields);
        node = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "filterby is empty.";
            return false;
        }
        if (text.Length > MaxLength)
        {
            error = $"The filter is too long ({text.Length} characters; the maximum is {MaxLength}).";
            return false;
        }
        if (!FilterLexer.TryTokenize(text, out var tokens, out error))
        {
            return false;
        }
        var parser = new Parser(tokens, fields);
        node = parser.Parse();
        if (node is null)
        {
            error = parser.Error ?? "filterby is invalid.";
            return false;
        }
        error = null;
        return true;
    }

    // Recursive descent; recursion only happens through '(' and 'not', both of which count towards MaxDepth,
    // so the stack stays bounded whatever the input.
    private sealed class Parser(List<FilterToken> tokens, QueryFields fields)
    {
        private static readonly HashSet<string> Reserved =
            new(["and", "or", "not", "eq", "ne", "gt", "ge", "lt", "le", "true", "false", "null"], StringComparer.OrdinalIgnoreCase);
        private static readonly Dictionary<string, CompareOp> Operators = new(StringComparer.OrdinalIgnoreCase)
        {
            ["eq"] = CompareOp.Eq, ["ne"] = CompareOp.Ne, ["gt"] = CompareOp.Gt,
            ["ge"] = CompareOp.Ge, ["lt"] = CompareOp.Lt, ["le"] = CompareOp.Le,
        };
        private static readonly Dictionary<string, TextMatch> Functions = new(StringComparer.OrdinalIgnoreCase)
        {
            ["startswith"] = TextMatch.StartsWith, ["endswith"] = TextMatch.EndsWith, ["substringof"] = TextMatch.Contains,
        };
        private const string FunctionHint =
            "Supported functions: startswith(property,'text'), endswith(property,'text'), substringof('text',property).";

        private int _index;
        private int _depth;
        private int _conditions;

        public string? Error { get; private set; }

        private FilterToken Peek => tokens[_index];

        // The last token is always End, so reading past the end keeps returning End.
        private FilterToken Next() => _index < tokens.Count - 1 ? tokens[_index++] : tokens[_index];

        public FilterNode? Parse()
        {
            var node = ParseOr();
            if (node is null || Peek.Kind == FilterTokenKind.End)
            {
                return node;
            }
            return Peek.Kind == FilterTokenKind.Close
                ? Fail(Peek, "Unmatched ')'")
                : Fail(Peek, $"Expected 'and', 'or' or the end of the filter but found {Peek.Describe()}");
        }

        private FilterNode? ParseOr()
        {
            var left = ParseAnd();
            while (left is not null && Peek.Is("or"))
            {
                Next();
                var right = ParseAnd();
                left = right is null ? null : new Or(left, right);
            }
            return left;
        }

        private FilterNode? ParseAnd()
        {
            var left = ParseUnary();
            while (left is not null && Peek.Is("and"))
            {
                Next();
                var right = ParseUnary();
                left = right is null ? null : new And(left, right);
            }
            return left;
        }

        private FilterNode? ParseUnary()
        {
            if (!Peek.Is("not"))
            {
                return ParsePrimary();
            }
            if (!Enter())
            {
                return null;
            }
            Next();
            var inner = ParseUnary();
            _depth--;
            return inner is null ? null : new Not(inner);
        }

        private FilterNode? ParsePrimary()
        {
            var token = Peek;
            switch (token.Kind)
            {
                case FilterTokenKind.Open:
                    if (!Enter())
                    {
                        return null;
                    }
                    Next();
                    if (Peek.Kind == FilterTokenKind.Close)
                    {
                        return Fail(Peek, "Empty parentheses");
                    }
                    var inner = ParseOr();
                    if (inner is null)
                    {
                        return null;
                    }
                    if (Peek.Kind != FilterTokenKind.Close)
                    {
                        return Fail(Peek, $"Expected ')' to close the '(' at position {token.Position + 1} but found {Peek.Describe()}");
                    }
                    Next();
                    _depth--;
                    return inner;
                case FilterTokenKind.Word when !Reserved.Contains(token.Text):
                    return tokens[_index + 1].Kind == FilterTokenKind.Open ? ParseFunction() : ParseComparison();
                case FilterTokenKind.End:
                    return Fail(token, "Unexpected end of filter; expected a condition");
                default:
                    return Fail(token, $"Expected a condition (a property, function, 'not' or '(') but found {token.Describe()}");
            }
        }

        private FilterNode? ParseComparison()
        {
            if (!TryField(Next(), out var field))
            {
                return null;
            }
            var opToken = Next();
            if (!Operators.TryGetValue(opToken.Kind == FilterTokenKind.Word ? opToken.Text : "", out var op))
            {
                return Fail(opToken, $"Expected an operator (eq, ne, gt, ge, lt, le) after '{field.Name}' but found {opToken.Describe()}");
            }
            if (field.Type == FieldType.Boolean && op is not (CompareOp.Eq or CompareOp.Ne))
            {
                return Fail(opToken, $"Property '{field.Name}' is a boolean and only supports eq and ne");
            }
            if (!CountCondition() || !TryValue(field, op, Next(), out var value))
            {
                return null;
            }
            return new Comparison(field, op, value);
        }

        private bool TryValue(QueryField field, CompareOp op, FilterToken token, out object? value)
        {
            value = null;
            if (token.Is("null"))
            {
                if (op is not (CompareOp.Eq or CompareOp.Ne))
                {
                    return Reject(token, $"null can only be compared with eq or ne (property '{field.Name}')");
                }
                return field.Nullable || Reject(token, $"Property '{field.Name}' cannot be null");
            }
            value = (field.Type, token.Kind) switch
            {
                (FieldType.String, FilterTokenKind.String) => token.Text,
                (FieldType.Number or FieldType.Integer, FilterTokenKind.Number) => token.Value,
                (FieldType.Boolean, FilterTokenKind.Word) when token.Is("true") => true,
                (FieldType.Boolean, FilterTokenKind.Word) when token.Is("false") => false,
                (FieldType.Guid, FilterTokenKind.Guid) => token.Value,
                (FieldType.Guid, FilterTokenKind.String) when Guid.TryParseExact(token.Text, "D", out var guid) => guid,
                (FieldType.DateTime, FilterTokenKind.DateTime) => token.Value,
                (FieldType.DateTime, FilterTokenKind.String) when FilterLexer.TryParseDate(token.Text, out var date) => date,
                _ => null,
            };
            return value is not null || Reject(token, $"Property '{field.Name}' expects {Expected(field.Type)} but found {token.Describe()}");
        }

        private FilterNode? ParseFunction()
        {
            var nameToken = Next();
            if (!Functions.TryGetValue(nameToken.Text, out var kind))
            {
                return Fail(nameToken, $"Unknown function '{FilterToken.Trim(nameToken.Text)}'", FunctionHint);
            }
            var name = nameToken.Text.ToLowerInvariant();
            Next(); // '(' — ParsePrimary only routes here when it follows.
            QueryField? field;
            string? text;
            if (kind == TextMatch.Contains)
            {
                if (!TryText(name, out text) || !Expect(FilterTokenKind.Comma, "','") || !TryStringField(name, out field))
                {
                    return null;
                }
            }
            else if (!TryStringField(name, out field) || !Expect(FilterTokenKind.Comma, "','") || !TryText(name, out text))
            {
                return null;
            }
            if (!Expect(FilterTokenKind.Close, "')'") || !CountCondition())
            {
                return null;
            }
            FilterNode node = new TextFunction(kind, field, text);
            if (Peek.Kind != FilterTokenKind.Word || !Operators.TryGetValue(Peek.Text, out var op))
            {
                return node;
            }
            var opToken = Next();
            if (op is not (CompareOp.Eq or CompareOp.Ne))
            {
                return Fail(opToken, $"Function '{name}' can only be followed by 'eq true', 'eq false', 'ne true' or 'ne false'");
            }
            var flag = Next();
            if (!flag.Is("true") && !flag.Is("false"))
            {
                return Fail(flag, $"Expected true or false after '{name}(…) {opToken.Text}' but found {flag.Describe()}");
            }
            return flag.Is("true") == (op == CompareOp.Ne) ? new Not(node) : node;
        }

        private bool TryStringField(string function, [NotNullWhen(true)] out QueryField? field)
        {
            var token = Next();
            if (token.Kind != FilterTokenKind.Word || Reserved.Contains(token.Text))
            {
                field = null;
                return Reject(token, $"Function '{function}' expects a property name but found {token.Describe()}");
            }
            if (!TryField(token, out field))
            {
                return false;
            }
            return field.Type == FieldType.String || Reject(token,
                $"Function '{function}' needs a string property, but '{field.Name}' is a {field.Type.ToString().ToLowerInvariant()}");
        }

        private bool TryText(string function, [NotNullWhen(true)] out string? text)
        {
            var token = Next();
            text = token.Kind == FilterTokenKind.String ? token.Text : null;
            return text is not null || Reject(token, $"Function '{function}' expects a quoted string such as 'text' but found {token.Describe()}");
        }

        private bool TryField(FilterToken token, [NotNullWhen(true)] out QueryField? field)
        {
            if (fields.TryGet(token.Text, out field))
            {
                return true;
            }
            Error ??= $"Unknown property '{FilterToken.Trim(token.Text)}'. Filterable properties: {fields.Names}.";
            return false;
        }

        private bool Expect(FilterTokenKind kind, string what) =>
            Next() is var token && (token.Kind == kind || Reject(token, $"Expected {what} but found {token.Describe()}"));

        private bool Enter()
        {
            if (++_depth <= MaxDepth)
            {
                return true;
            }
            Error ??= $"The filter is nested too deeply (the maximum depth of parentheses and 'not' is {MaxDepth}).";
            return false;
        }

        private bool CountCondition()
        {
            if (++_conditions <= MaxConditions)
            {
                return true;
            }
            Error ??= $"The filter has too many conditions (the maximum is {MaxConditions}).";
            return false;
        }

        private FilterNode? Fail(FilterToken token, string message, string? hint = null)
        {
            Error ??= $"{message} at position {token.Position + 1}." + (hint is null ? "" : " " + hint);
            return null;
        }

        private bool Reject(FilterToken token, string message) => Fail(token, message) is not null;

        private static string Expected(FieldType type) => type switch
        {
            FieldType.String => "a quoted string such as 'text'",
            FieldType.Number or FieldType.Integer => "a number such as 42 or -1.5",
            FieldType.Boolean => "true or false",
            FieldType.Guid => "a guid such as guid'3fa85f64-5717-4562-b3fc-2c963f66afa6'",
            _ => "a date such as datetime'2024-01-31T12:00:00Z'",
        };
    }
}
