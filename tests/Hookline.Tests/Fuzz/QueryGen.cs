using FsCheck;
using FsCheck.Fluent;
using Hookline.Webhooks;

namespace Hookline.Tests.Fuzz;

/// <summary>Query strings for the list endpoints: absurd paging and filterby/orderby token soup from the grammar in Api/Querying.</summary>
public static class QueryGen
{
    private static readonly string[] Fields =
        [.. WebhookFields.Config.All.Select(f => f.Name), .. WebhookFields.Log.All.Select(f => f.Name), "authentication", "secret", "workspace_id", "1=1"];

    private static readonly string[] Keywords =
        ["and", "or", "not", "eq", "ne", "gt", "ge", "lt", "le", "true", "false", "null", "AND", "Eq", "startswith", "endswith",
         "substringof", "contains", "tolower", "asc", "desc", "ASC"];

    private static readonly string[] Literals =
    [
        "'text'", "''", "''''", "'it''s'", "'unterminated", "'", "0", "-1", "1.5", "1e28", "1e999", "-0", "1.", "1.2.3", "1m", "2L", "0x10",
        "79228162514264337593543950335", "79228162514264337593543950336", "-79228162514264337593543950335", "2147483648",
        "guid'3fa85f64-5717-4562-b3fc-2c963f66afa6'", "guid'nope'", "guid''", "datetime'2024-01-31T12:00:00Z'", "datetime'0001-01-01'",
        "datetime'9999-12-31T23:59:59.9999999Z'", "datetime'9999-12-31T23:59:59.9999999-14:00'", "datetime'0001-01-01T00:00:00+14:00'",
        "datetimeoffset'2024-01-31T12:00+01:00'", "datetime'2026-02-30'", "datetime'x", "'3fa85f64-5717-4562-b3fc-2c963f66afa6'",
        "'2024-01-31'", "'%'", "'_'", "'\\'", "'[a]'", "'; DROP TABLE webhooks; --'", "'\u0000'", "'\ud800'", "'👾'", "'\u202e'",
    ];

    private static readonly string[] Punctuation = ["(", ")", ",", "((", "))", "'", "\"", ";", "--", "/*", "*/", "=", "!=", "<>", "[", "]", "$", "@", "?", ":"];

    private static Gen<string> Token { get; } = Gen.Frequency(
        (4, Gen.Elements(Fields)), (4, Gen.Elements(Keywords)), (3, Gen.Elements(Literals)), (2, Gen.Elements(Punctuation)),
        (1, TextGen.Nasty.Select(s => s.Length > 300 ? s[..300] : s)));

    private static Gen<string> Soup { get; } = Gen.Zip(Token.ListOf(), Gen.Elements(" ", "", "  ", "\t", "\r\n"))
        .Select(t => string.Join(t.Item2, t.Item1));

    /// <summary>Mostly well-formed conditions, combined at random, so that the parser's later stages and the SQL are reached.</summary>
    private static Gen<string> Condition { get; } = Gen.OneOf(
        TextGen.Zip3(Gen.Elements(Fields), Gen.Elements("eq", "ne", "gt", "ge", "lt", "le"), Gen.Elements(Literals)).Select(t => $"{t.Item1} {t.Item2} {t.Item3}"),
        TextGen.Zip3(Gen.Elements("startswith", "endswith"), Gen.Elements(Fields), Gen.Elements(Literals)).Select(t => $"{t.Item1}({t.Item2},{t.Item3})"),
        TextGen.Zip3(Gen.Elements(Literals), Gen.Elements(Fields), Gen.Elements("", " eq true", " eq false", " ne true", " gt 1"))
            .Select(t => $"substringof({t.Item1},{t.Item2}){t.Item3}"));

    /// <summary>A condition on a webhook field with a literal of the field's type: valid, so the SQL runs with the nasty value.</summary>
    private static Gen<string> Typed { get; } =
        from field in Gen.Elements(WebhookFields.Config.All.ToArray())
        from op in Gen.Elements("eq", "ne", "gt", "ge", "lt", "le")
        from text in TextGen.Nasty.Select(t => t.Length > 500 ? t[..500] : t)
        from number in Gen.Elements("0", "-1", "1e28", "-79228162514264337593543950335", "0.0000000000000000000000000001")
        from date in Gen.Elements("datetime'0001-01-01'", "datetime'9999-12-31T23:59:59.9999999Z'", "datetime'2024-01-31T12:00:00+14:00'")
        from function in Gen.Elements(0, 1, 2, 3)
        select field.Type switch
        {
            Hookline.Storage.Querying.FieldType.String when function > 0 =>
                $"{(function == 1 ? "startswith" : function == 2 ? "endswith" : "substringof")}({(function == 3 ? "'" + text.Replace("'", "''") + "'," + field.Name : field.Name + ",'" + text.Replace("'", "''") + "'")})",
            Hookline.Storage.Querying.FieldType.String => $"{field.Name} {op} '{text.Replace("'", "''")}'",
            Hookline.Storage.Querying.FieldType.Number or Hookline.Storage.Querying.FieldType.Integer => $"{field.Name} {op} {number}",
            Hookline.Storage.Querying.FieldType.Boolean => $"{field.Name} {(op == "ne" ? "ne" : "eq")} {(function % 2 == 0 ? "true" : "null")}",
            Hookline.Storage.Querying.FieldType.Guid => $"{field.Name} {(op == "ne" ? "ne" : "eq")} guid'3fa85f64-5717-4562-b3fc-2c963f66afa6'",
            _ => $"{field.Name} {op} {date}",
        };

    private static Gen<string> Combined { get; } = Gen.Zip(Condition.NonEmptyListOf(), Gen.Elements(" and ", " or ", " and not ", " or ("))
        .Select(t => string.Join(t.Item2, t.Item1));

    public static Gen<string> Filter { get; } = Gen.Frequency(
        (4, Soup), (4, Combined), (1, TextGen.Nasty), (4, Gen.Zip(Typed.NonEmptyListOf().Resize(3), Gen.Elements(" and ", " or ")).Select(t => string.Join(t.Item2, t.Item1))),
        (1, Gen.Elements(33, 1000, 5000).Select(n => new string('(', n) + "isActive eq true" + new string(')', n))),
        (1, Gen.Elements(33, 1000).Select(n => string.Concat(Enumerable.Repeat("not ", n)) + "isActive eq true")),
        (1, Gen.Elements(101, 1000).Select(n => string.Join(" and ", Enumerable.Repeat("name eq 'x'", n)))),
        (1, Gen.Elements("(", ")", "(()", "())", "((isActive eq true)", "isActive eq true)", "()", "not", "and", "name eq", "eq 'x'",
            "startswith(", "startswith(name", "startswith(name,'x'", "substringof('x')", "name eq 'x' and", "1 eq 1", "name eq name")));

    public static Gen<string> Order { get; } = Gen.Frequency(
        (3, TextGen.Zip3(Gen.Elements(Fields).NonEmptyListOf(), Gen.Elements("", " asc", " desc", " DESC", " up", " asc desc"), Gen.Elements(",", ", ", ",,", " "))
            .Select(t => string.Join(t.Item3, t.Item1.Select(f => f + t.Item2)))),
        (2, Soup), (1, TextGen.Nasty),
        (1, Gen.Elements("name,name", "name desc,name asc", ",", ",,,,,,,,,,,", "name;DROP TABLE webhooks", "createdOn desc, id",
            string.Join(",", Fields.Take(11)), new string('x', 1001))));

    private static Gen<string> PageNumber { get; } = Gen.Frequency(
        (3, Gen.Elements("-1", "0", "1", "2", "1000", "1001", "10000000", "10000001", "2147483647", "2147483648", "-2147483649",
            "99999999999999999999", "1e3", "1.0", "0x10", " 1", "1 ", "+1", "01", "١", "１", "", "null", "NaN", "∞")),
        (1, TextGen.Nasty));

    private static Gen<(string, string)> Pair { get; } = Gen.Frequency(
        (3, Gen.Zip(Gen.Elements("page", "pageSize", "PAGE", "pagesize", "page_size", "Page"), PageNumber)),
        (3, Filter.Select(f => ("filterby", f))),
        (3, Order.Select(o => ("orderby", o))),
        (1, Gen.Zip(Gen.Elements("FilterBy", "ORDERBY", "$filter", "$orderby", "$top", "$skip", "since"), TextGen.Nasty)),
        (1, Gen.Zip(TextGen.Nasty, TextGen.Nasty)));

    /// <summary>The query string without its '?': one to six pairs, keys possibly repeated, values encoded well or badly.</summary>
    public static Gen<string> ListQuery { get; } = Gen.Frequency((3, Gen.Constant(0)), (1, Gen.Constant(1))).SelectMany(valid => valid == 1
        ? Gen.Zip(Typed.NonEmptyListOf().Resize(3), Gen.Elements(" and ", " or ")).Select(t => "filterby=" + TextGen.Encode(string.Join(t.Item2, t.Item1)))
        : AnyPairs);

    private static Gen<string> AnyPairs { get; } =
        from pairs in Pair.NonEmptyListOf().Resize(6)
        from encoded in Gen.CollectToList(pairs.Select(p => TextGen.QueryValue(Gen.Constant(p.Item2))))
        from separator in Gen.Frequency((9, Gen.Constant("&")), (1, Gen.Elements("&&", ";", "&amp;")))
        select string.Join(separator, pairs.Zip(encoded, (p, v) => TextGen.Encode(p.Item1) + "=" + v));
}
