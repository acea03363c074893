using System.Text;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;

namespace Hookline.Tests.Fuzz;

/// <summary>Generators of nasty text, of raw JSON values of every type, and of percent-encoded query and path text.</summary>
public static class TextGen
{
    // Characters that have broken things: controls, CR/LF, NUL, surrogates (lone), RTL marks, combining marks, emoji halves.
    private static readonly char[] Spicy =
    [
        '\0', '\r', '\n', '\t', '\u0007', '\u001b', '\u007f', '\u0085', '\u00a0', '\u2028', '\u202e', '\u200b', '\ufeff',
        '\ufffd', '\uffff', '\ud800', '\udbff', '\udc00', '\udfff', '\u0301', '\'', '"', '\\', '/', '%', '&', '=', '?', '#', '(', ')',
        ',', ';', ':', '<', '>', '{', '}', '[', ']', ' ', 'a', 'Z', '0', '9', '-', '_', '.', 'é', 'ß', '日', 'ا',
    ];

    public static Gen<string> Nasty { get; } = Gen.Frequency(
        (6, Gen.Elements(Naughty.Strings)),
        (4, Gen.Elements(Spicy).ArrayOf().Select(cs => new string(cs))),
        (1, Gen.Zip(Gen.Elements(Naughty.Strings.Where(s => s.Length > 0).ToArray()), Gen.Elements(1_000, 5_000, 70_000))
            .Select(t => string.Concat(Enumerable.Repeat(t.Item1, t.Item2 / t.Item1.Length + 1)))),
        (1, Gen.Elements(Naughty.Strings).Two().Select(t => t.Item1 + t.Item2)));

    /// <summary>A JSON string literal (escaped by the serializer, so lone surrogates become \uD800 escapes).</summary>
    public static Gen<string> NastyJsonString { get; } = Gen.Frequency(
        (8, Nasty.Select(s => JsonSerializer.Serialize(s))),
        (2, Gen.Elements(Naughty.JsonEscapes).Select(e => $"\"x{e}y\"")));

    /// <summary>Any JSON value text; <paramref name="strings"/> false leaves strings out (for "must be a string" fields).</summary>
    public static Gen<string> AnyJson(bool strings = true, bool booleans = true)
    {
        var others = Gen.Elements("null", "0", "-1", "1.5", "1e400", "-1e400", "123456789012345678901234567890", "[]", "{}",
            "[1,\"a\",null]", "{\"a\":{\"b\":[]}}", "[\"task_added\"]", "{\"name\":\"x\"}", new string('[', 60) + new string(']', 60));
        var gens = new List<(int, Gen<string>)> { (4, others) };
        if (strings) gens.Add((4, NastyJsonString));
        if (booleans) gens.Add((1, Gen.Elements("true", "false")));
        return Gen.Frequency(gens.ToArray());
    }

    /// <summary>Three generators together (FsCheck's fluent Zip takes two).</summary>
    public static Gen<(TA, TB, TC)> Zip3<TA, TB, TC>(Gen<TA> a, Gen<TB> b, Gen<TC> c) =>
        from x in a from y in b from z in c select (x, y, z);

    /// <summary>Percent-encodes every byte outside the unreserved set; lone surrogates become U+FFFD first.</summary>
    public static string Encode(string text)
    {
        var sb = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(text))
            sb.Append(b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9' || "-._~'(),".Contains((char)b)
                ? ((char)b).ToString() : $"%{b:X2}");
        return sb.ToString();
    }

    /// <summary>A query value as sent: properly encoded, or with raw invalid UTF-8 escapes, bad escapes or unencoded separators.</summary>
    public static Gen<string> QueryValue(Gen<string> text) => Gen.Frequency(
        (8, text.Select(Encode)),
        (1, Gen.Zip(text, Gen.Elements(Naughty.InvalidUtf8)).Select(t => Encode(t.Item1) + string.Concat(t.Item2.Select(b => $"%{b:X2}")))),
        (1, Gen.Elements("%", "%zz", "%%", "%u0041", "+", "++", "&", "=", "==", "%00", "%0d%0a", "a&b=c", "%E2%80", "%C0%AF")));
}
