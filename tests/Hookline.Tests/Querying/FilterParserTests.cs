using Hookline.Api.Querying;
using Hookline.Storage.Querying;
using Xunit;

namespace Hookline.Tests.Querying;

public sealed class FilterParserTests
{
    private static readonly QueryField Name = new("name", FieldType.String);
    private static readonly QueryField Note = new("note", FieldType.String, Nullable: true);
    private static readonly QueryField Amount = new("amount", FieldType.Number);
    private static readonly QueryField IsDone = new("isDone", FieldType.Boolean);
    private static readonly QueryField OwnerId = new("ownerId", FieldType.Guid, Nullable: true);
    private static readonly QueryField CreatedOn = new("createdOn", FieldType.DateTime);
    private static readonly QueryFields Fields = new(Name, Note, Amount, IsDone, OwnerId, CreatedOn);

    private static readonly Guid SomeGuid = Guid.Parse("12345678-aaaa-bbbb-cccc-ddddeeeeffff");

    private static FilterNode Parse(string text)
    {
        Assert.True(FilterParser.TryParse(text, Fields, out var node, out var error), error);
        return node;
    }

    private static string Error(string text)
    {
        Assert.False(FilterParser.TryParse(text, Fields, out var node, out var error));
        Assert.Null(node);
        Assert.False(string.IsNullOrWhiteSpace(error));
        return error;
    }

    private static Comparison NameIs(string value) => new(Name, CompareOp.Eq, value);

    [Theory]
    [InlineData("eq", CompareOp.Eq)]
    [InlineData("ne", CompareOp.Ne)]
    [InlineData("gt", CompareOp.Gt)]
    [InlineData("ge", CompareOp.Ge)]
    [InlineData("lt", CompareOp.Lt)]
    [InlineData("le", CompareOp.Le)]
    public void Each_comparison_operator_is_parsed(string op, CompareOp expected) =>
        Assert.Equal(new Comparison(Amount, expected, 5m), Parse($"amount {op} 5"));

    [Fact]
    public void String_comparison_yields_the_unquoted_value() =>
        Assert.Equal(NameIs("Sebastian"), Parse("name eq 'Sebastian'"));

    [Theory]
    [InlineData("'user''s task'", "user's task")]
    [InlineData("''''", "'")]
    [InlineData("''", "")]
    [InlineData("'a''''b'", "a''b")]
    [InlineData("'  spaced () , eq and '", "  spaced () , eq and ")]
    public void Doubled_quotes_inside_strings_are_unescaped(string literal, string expected) =>
        Assert.Equal(NameIs(expected), Parse($"name eq {literal}"));

    [Theory]
    [InlineData("5", "5")]
    [InlineData("-5", "-5")]
    [InlineData("1.25", "1.25")]
    [InlineData("-0.5", "-0.5")]
    [InlineData("10M", "10")]
    [InlineData("10m", "10")]
    [InlineData("7L", "7")]
    [InlineData("7l", "7")]
    [InlineData("2.5f", "2.5")]
    [InlineData("2.5F", "2.5")]
    [InlineData("2.5d", "2.5")]
    [InlineData("2.5D", "2.5")]
    [InlineData("1e3", "1000")]
    [InlineData("1.5E-2", "0.015")]
    public void Number_literals_become_decimals(string literal, string expected) =>
        Assert.Equal(new Comparison(Amount, CompareOp.Eq, decimal.Parse(expected, System.Globalization.CultureInfo.InvariantCulture)),
            Parse($"amount eq {literal}"));

    [Theory]
    [InlineData("1.")]
    [InlineData("1.2.3")]
    [InlineData("12abc")]
    [InlineData("1e")]
    [InlineData("1MM")]
    [InlineData("99999999999999999999999999999999")]
    [InlineData("1e400")]
    public void Malformed_or_out_of_range_numbers_are_rejected(string literal) =>
        Assert.Contains("number", Error($"amount eq {literal}"), StringComparison.OrdinalIgnoreCase);

    [Theory]
    [InlineData("isDone eq true", CompareOp.Eq, true)]
    [InlineData("isDone ne false", CompareOp.Ne, false)]
    [InlineData("isDone eq TRUE", CompareOp.Eq, true)]
    public void Boolean_literals_are_parsed(string text, CompareOp op, bool value) =>
        Assert.Equal(new Comparison(IsDone, op, value), Parse(text));

    [Theory]
    [InlineData("ownerId eq guid'12345678-aaaa-bbbb-cccc-ddddeeeeffff'")]
    [InlineData("ownerId eq GUID'12345678-AAAA-BBBB-CCCC-DDDDEEEEFFFF'")]
    [InlineData("ownerId eq '12345678-aaaa-bbbb-cccc-ddddeeeeffff'")]
    public void Guids_are_accepted_as_guid_literals_or_quoted_strings(string text) =>
        Assert.Equal(new Comparison(OwnerId, CompareOp.Eq, SomeGuid), Parse(text));

    [Theory]
    [InlineData("datetime'2000-12-12T12:00'", "2000-12-12T12:00:00Z")]
    [InlineData("datetime'2000-12-12T12:00:30'", "2000-12-12T12:00:30Z")]
    [InlineData("datetime'2000-12-12T12:00:30.125'", "2000-12-12T12:00:30.125Z")]
    [InlineData("datetime'2000-12-12T12:00Z'", "2000-12-12T12:00:00Z")]
    [InlineData("datetime'2000-12-12T12:00+02:00'", "2000-12-12T10:00:00Z")]
    [InlineData("DateTime'2000-12-12T12:00:00-05:30'", "2000-12-12T17:30:00Z")]
    [InlineData("datetimeoffset'2000-12-12T12:00:00Z'", "2000-12-12T12:00:00Z")]
    [InlineData("datetime'2000-12-12'", "2000-12-12T00:00:00Z")]
    [InlineData("'2000-12-12T12:00:00Z'", "2000-12-12T12:00:00Z")]
    public void Dates_are_normalised_to_utc(string literal, string expectedUtc)
    {
        var node = Assert.IsType<Comparison>(Parse($"createdOn gt {literal}"));
        var value = Assert.IsType<DateTimeOffset>(node.Value);
        Assert.Equal(TimeSpan.Zero, value.Offset);
        Assert.Equal(DateTimeOffset.Parse(expectedUtc, System.Globalization.CultureInfo.InvariantCulture), value);
    }

    [Theory]
    [InlineData("createdOn eq datetime'2000-13-12T12:00'", "Invalid datetime literal")]
    [InlineData("createdOn eq datetime'yesterday'", "Invalid datetime literal")]
    [InlineData("ownerId eq guid'not-a-guid'", "Invalid guid literal")]
    [InlineData("ownerId eq guid'12345678'", "Invalid guid literal")]
    public void Malformed_typed_literals_are_rejected(string text, string expected) =>
        Assert.Contains(expected, Error(text));

    [Fact]
    public void Null_is_allowed_with_eq_and_ne_on_nullable_fields()
    {
        Assert.Equal(new Comparison(Note, CompareOp.Eq, null), Parse("note eq null"));
        Assert.Equal(new Comparison(OwnerId, CompareOp.Ne, null), Parse("ownerId ne NULL"));
    }

    [Fact]
    public void Null_on_a_non_nullable_field_is_rejected() =>
        Assert.StartsWith("Property 'name' cannot be null", Error("name eq null"));

    [Fact]
    public void Null_with_an_ordering_operator_is_rejected() =>
        Assert.Contains("null can only be compared with eq or ne", Error("note gt null"));

    [Theory]
    [InlineData("gt")]
    [InlineData("le")]
    public void Ordering_operators_on_booleans_are_rejected(string op) =>
        Assert.Contains("'isDone' is a boolean and only supports eq and ne", Error($"isDone {op} true"));

    [Theory]
    [InlineData("name eq 5", "Property 'name' expects a quoted string")]
    [InlineData("name eq true", "Property 'name' expects a quoted string")]
    [InlineData("amount eq '5'", "Property 'amount' expects a number")]
    [InlineData("isDone eq 1", "Property 'isDone' expects true or false")]
    [InlineData("isDone eq 'true'", "Property 'isDone' expects true or false")]
    [InlineData("ownerId eq 5", "Property 'ownerId' expects a guid")]
    [InlineData("ownerId eq 'abc'", "Property 'ownerId' expects a guid")]
    [InlineData("createdOn eq 'last week'", "Property 'createdOn' expects a date")]
    [InlineData("createdOn eq 20001212", "Property 'createdOn' expects a date")]
    [InlineData("amount eq datetime'2000-12-12'", "Property 'amount' expects a number")]
    [InlineData("name eq guid'12345678-aaaa-bbbb-cccc-ddddeeeeffff'", "Property 'name' expects a quoted string")]
    public void Values_of_the_wrong_type_are_rejected_naming_property_and_expected_type(string text, string expected) =>
        Assert.StartsWith(expected, Error(text));

    [Fact]
    public void Comparing_two_properties_is_rejected() =>
        Assert.Contains("expects a quoted string such as 'text' but found 'note'", Error("name eq note"));

    [Fact]
    public void Literal_first_comparisons_are_rejected() =>
        Assert.Contains("found the string 'x' at position 1", Error("'x' eq name"));

    [Fact]
    public void Or_binds_looser_than_and() =>
        Assert.Equal(new Or(NameIs("a"), new And(NameIs("b"), NameIs("c"))),
            Parse("name eq 'a' or name eq 'b' and name eq 'c'"));

    [Fact]
    public void And_chains_are_left_associative() =>
        Assert.Equal(new And(new And(NameIs("a"), NameIs("b")), NameIs("c")),
            Parse("name eq 'a' and name eq 'b' and name eq 'c'"));

    [Fact]
    public void Not_binds_tighter_than_and() =>
        Assert.Equal(new And(new Not(NameIs("a")), NameIs("b")), Parse("not name eq 'a' and name eq 'b'"));

    [Fact]
    public void Parentheses_override_precedence() =>
        Assert.Equal(new And(new Or(NameIs("a"), NameIs("b")), NameIs("c")),
            Parse("(name eq 'a' or name eq 'b') and name eq 'c'"));

    [Fact]
    public void Not_applies_to_a_parenthesised_group_and_can_be_repeated() =>
        Assert.Equal(new Not(new Not(new Or(NameIs("a"), NameIs("b")))), Parse("not not(name eq 'a' or name eq 'b')"));

    [Fact]
    public void Redundant_parentheses_and_odd_whitespace_are_fine() =>
        Assert.Equal(new And(NameIs("a"), new Comparison(Amount, CompareOp.Gt, 1m)),
            Parse("\t((name eq 'a'))and(amount gt 1)\r\n"));

    [Fact]
    public void Keywords_properties_and_functions_are_case_insensitive()
    {
        var node = Parse("NAME EQ 'x' AND Amount GT 1 OR NOT isdone EQ True AND STARTSWITH(Name,'y') EQ FALSE");
        var expected = new Or(
            new And(NameIs("x"), new Comparison(Amount, CompareOp.Gt, 1m)),
            new And(new Not(new Comparison(IsDone, CompareOp.Eq, true)), new Not(new TextFunction(TextMatch.StartsWith, Name, "y"))));
        Assert.Equal(expected, node);
    }

    [Theory]
    [InlineData("startswith(name,'abc')", TextMatch.StartsWith)]
    [InlineData("endswith(name,'abc')", TextMatch.EndsWith)]
    [InlineData("substringof('abc',name)", TextMatch.Contains)]
    [InlineData("substringof( 'abc' , name ) eq true", TextMatch.Contains)]
    [InlineData("startswith(name,'abc') ne false", TextMatch.StartsWith)]
    public void Text_functions_are_parsed(string text, TextMatch kind) =>
        Assert.Equal(new TextFunction(kind, Name, "abc"), Parse(text));

    [Theory]
    [InlineData("substringof('abc',name) eq false")]
    [InlineData("endswith(name,'abc') ne true")]
    [InlineData("not startswith(name,'abc') eq true")]
    public void Text_functions_compared_with_false_are_negated(string text) =>
        Assert.Equal(new Not(It(text)), Parse(text));

    private static TextFunction It(string text) => new(
        text.Contains("substringof") ? TextMatch.Contains : text.Contains("endswith") ? TextMatch.EndsWith : TextMatch.StartsWith, Name, "abc");

    [Fact]
    public void Text_function_values_keep_escaped_quotes() =>
        Assert.Equal(new TextFunction(TextMatch.Contains, Note, "it's"), Parse("substringof('it''s', note)"));

    [Theory]
    [InlineData("startswith(amount,'1')", "Function 'startswith' needs a string property, but 'amount' is a number")]
    [InlineData("substringof(name,'x')", "Function 'substringof' expects a quoted string")]
    [InlineData("startswith('x',name)", "Function 'startswith' expects a property name")]
    [InlineData("startswith(name,5)", "Function 'startswith' expects a quoted string")]
    [InlineData("startswith(name,null)", "Function 'startswith' expects a quoted string")]
    [InlineData("startswith(name)", "Expected ','")]
    [InlineData("startswith()", "Function 'startswith' expects a property name")]
    [InlineData("startswith(name,'a','b')", "Expected ')'")]
    [InlineData("startswith(name,'a') gt true", "can only be followed by 'eq true'")]
    [InlineData("startswith(name,'a') eq 1", "Expected true or false")]
    [InlineData("startswith(foo,'a')", "Unknown property 'foo'")]
    public void Malformed_function_calls_are_rejected(string text, string expected) =>
        Assert.Contains(expected, Error(text));

    [Fact]
    public void Unknown_function_is_rejected_with_position_and_the_supported_list()
    {
        var error = Error("name eq 'x' or contains(name,'x')");
        Assert.StartsWith("Unknown function 'contains' at position 16.", error);
        Assert.Contains("substringof('text',property)", error);
    }

    [Fact]
    public void Unknown_property_lists_the_filterable_properties() =>
        Assert.Equal("Unknown property 'foo'. Filterable properties: name, note, amount, isDone, ownerId, createdOn.",
            Error("foo eq 1"));

    [Theory]
    [InlineData("name eq 'x", "Unterminated string starting at position 9")]
    [InlineData("name eq", "but found the end of the filter at position 8")]
    [InlineData("eq 'x'", "found 'eq' at position 1")]
    [InlineData("(name eq 'x'", "Expected ')' to close the '(' at position 1 but found the end of the filter at position 13")]
    [InlineData("name eq 'x')", "Unmatched ')' at position 12")]
    [InlineData("name eq 'x' and", "Unexpected end of filter; expected a condition at position 16")]
    [InlineData("name eq 'x' or or name eq 'y'", "found 'or' at position 16")]
    [InlineData("name eq 'x' name eq 'y'", "Expected 'and', 'or' or the end of the filter but found 'name' at position 13")]
    [InlineData("()", "Empty parentheses at position 2")]
    [InlineData("name 'x'", "Expected an operator (eq, ne, gt, ge, lt, le) after 'name' but found the string 'x' at position 6")]
    [InlineData("name like 'x'", "after 'name' but found 'like' at position 6")]
    [InlineData("name == 'x'", "Unexpected character '=' at position 6")]
    [InlineData("name eq 'x' && amount eq 1", "Unexpected character '&' at position 13")]
    [InlineData("name eq 'a'; DROP TABLE t", "Unexpected character ';' at position 12")]
    [InlineData("not", "Unexpected end of filter")]
    [InlineData(",", "found ',' at position 1")]
    [InlineData("name eq x'41'", "found 'x' at position 9")]
    [InlineData("name eq \"x\"", "Unexpected character '\"' at position 9")]
    [InlineData("name eq 'x' and\0", "Unexpected character U+0000 at position 16")]
    public void Malformed_input_reports_what_went_wrong_and_where(string text, string expected) =>
        Assert.Contains(expected, Error(text));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   \t ")]
    public void Empty_filter_is_rejected(string? text)
    {
        Assert.False(FilterParser.TryParse(text, Fields, out var node, out var error));
        Assert.Null(node);
        Assert.Equal("filterby is empty.", error);
    }

    [Fact]
    public void Input_at_the_length_limit_is_accepted_and_beyond_it_rejected()
    {
        var prefix = "name eq '";
        var atLimit = prefix + new string('x', FilterParser.MaxLength - prefix.Length - 1) + "'";
        Assert.Equal(FilterParser.MaxLength, atLimit.Length);
        Parse(atLimit);
        Assert.StartsWith("The filter is too long", Error(atLimit + " "));
        Assert.StartsWith("The filter is too long", Error(new string('a', 100_000)));
        Assert.StartsWith("The filter is too long", Error(new string('(', 10_000)));
    }

    [Fact]
    public void Nesting_up_to_the_depth_limit_is_accepted() =>
        Assert.Equal(NameIs("x"), Parse(new string('(', FilterParser.MaxDepth) + "name eq 'x'" + new string(')', FilterParser.MaxDepth)));

    [Theory]
    [InlineData("(", 33)]
    [InlineData("(", 3999)]
    [InlineData("not ", 33)]
    [InlineData("not ", 999)]
    [InlineData("not (", 600)]
    public void Nesting_beyond_the_depth_limit_is_rejected(string opener, int count)
    {
        var text = string.Concat(Enumerable.Repeat(opener, count)) + "name eq 'x'";
        Assert.StartsWith("The filter is nested too deeply", Error(text[..Math.Min(text.Length, FilterParser.MaxLength)]));
    }

    [Fact]
    public void Up_to_the_condition_limit_is_accepted_and_beyond_it_rejected()
    {
        string Conditions(int n) => string.Join(" or ", Enumerable.Repeat("amount eq 1", n));
        Parse(Conditions(FilterParser.MaxConditions));
        Assert.StartsWith("The filter has too many conditions", Error(Conditions(FilterParser.MaxConditions + 1)));
        Assert.StartsWith("The filter has too many conditions",
            Error(string.Join(" and ", Enumerable.Repeat("startswith(name,'a')", FilterParser.MaxConditions + 1))));
    }

    [Fact]
    public void Random_input_never_throws()
    {
        var parsed = 0;
        foreach (var text in RandomFilters(seed: 20240131, count: 5000))
        {
            var ok = FilterParser.TryParse(text, Fields, out var node, out var error);
            Assert.Equal(ok, node is not null);
            Assert.Equal(ok, error is null);
            parsed += ok ? 1 : 0;
        }
        Assert.InRange(parsed, 1, 4999); // the generator must exercise both paths
    }

    private static readonly string[] Pieces =
    [
        "name", "note", "amount", "isDone", "ownerId", "createdOn", "foo", " eq ", " ne ", " gt ", " le ", " and ", " or ",
        "not ", "(", ")", ",", "'", "''", "'abc'", "'a''b'", "1", "-2.5", "1e9", "7M", "true", "false", "null",
        "guid'12345678-aaaa-bbbb-cccc-ddddeeeeffff'", "guid'", "datetime'2000-12-12T12:00'", "datetime'", "startswith(",
        "endswith(", "substringof(", " ", "\t", "%", "_", "\\", "é", "\0", ";", "=", "--", "\uD800", "name eq 'x'",
    ];

    /// <summary>Deterministic filter-ish strings: token soup plus mutations of valid filters.</summary>
    internal static IEnumerable<string> RandomFilters(int seed, int count)
    {
        var random = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            var builder = new System.Text.StringBuilder();
            var pieces = random.Next(0, 14);
            for (var p = 0; p < pieces; p++)
            {
                builder.Append(random.Next(8) == 0 ? (char)random.Next(0, 0x3000) : Pieces[random.Next(Pieces.Length)]);
            }
            if (i % 3 == 0)
            {
                builder.Clear().Append("(name eq 'a' or amount gt 1.5) and not startswith(note,'x') and isDone eq true");
                for (var m = random.Next(1, 4); m > 0; m--)
                {
                    var at = random.Next(builder.Length);
                    if (random.Next(2) == 0)
                    {
                        builder.Remove(at, 1);
                    }
                    else
                    {
                        builder.Insert(at, Pieces[random.Next(Pieces.Length)]);
                    }
                }
            }
            yield return builder.ToString();
        }
    }
}
