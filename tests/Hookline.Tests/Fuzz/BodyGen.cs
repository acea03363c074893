using System.Text;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;

namespace Hookline.Tests.Fuzz;

/// <summary>A JSON object as an ordered list of raw members, so that duplicates and odd names survive to the wire.</summary>
public sealed record JsonMembers(IReadOnlyList<(string Name, string Value)> Members)
{
    public string Text => "{" + string.Join(",", Members.Select(m => $"{m.Name}:{m.Value}")) + "}";

    public static string Key(string name) => JsonSerializer.Serialize(name);

    public JsonMembers Set(string name, string value) => new(Members.Where(m => m.Name != Key(name)).Append((Key(name), value)).ToList());

    public JsonMembers Remove(string name) => new(Members.Where(m => m.Name != Key(name)).ToList());

    public JsonMembers Add(string rawName, string value) => new([.. Members, (rawName, value)]);
}

/// <summary>
/// Request bodies built from a model of the valid form, with at least one mutation that makes them invalid (wrong
/// type, missing, empty, unknown, duplicate, too long, control characters, lone surrogates...), optionally further
/// values swapped for nasty ones, and optionally the whole text corrupted (cut, invalid UTF-8, deep nesting, oversized).
/// </summary>
public static class BodyGen
{
    private static readonly string[] FormStrings = ["name", "uri", "events", "authenticationType"];
    private static readonly string[] FormFields = [.. FormStrings, "isActive", "language", "onlyTriggerForMainEntityChanges", "authentication"];

    public static JsonMembers ValidForm(bool header) => new JsonMembers([])
        .Set("name", "\"fuzz\"").Set("uri", "\"https://r.example/h\"").Set("events", "\"task_added\"").Set("isActive", "true")
        .Set("authenticationType", header ? "\"header\"" : "\"none\"").Set("authentication", header ? "\"X-Key=v\"" : "null");

    private static Gen<string> Quoted(string text) => Gen.Constant(JsonSerializer.Serialize(text));

    /// <summary>Mutations each of which alone makes a webhook form invalid.</summary>
    private static Gen<Func<JsonMembers, JsonMembers>> BreakForm { get; } = Gen.OneOf(
        Gen.Zip(Gen.Elements(FormStrings), TextGen.AnyJson(strings: false).Where(v => v != "null"))
            .Select(t => (Func<JsonMembers, JsonMembers>)(m => m.Set(t.Item1, t.Item2))),
        Gen.Zip(Gen.Constant("isActive"), TextGen.AnyJson(booleans: false))
            .Select(t => (Func<JsonMembers, JsonMembers>)(m => m.Set(t.Item1, t.Item2))),
        Gen.Elements([.. FormStrings, "isActive"]).Select(f => (Func<JsonMembers, JsonMembers>)(m => m.Remove(f))),
        Gen.Zip(Gen.Elements(FormStrings), Gen.Elements("\"\"", "\"   \"", "\"\\t\\r\\n\"", "null"))
            .Select(t => (Func<JsonMembers, JsonMembers>)(m => m.Set(t.Item1, t.Item2))),
        Gen.Zip(TextGen.Nasty.Where(n => !FormFields.Contains(n, StringComparer.OrdinalIgnoreCase)), TextGen.AnyJson())
            .Select(t => (Func<JsonMembers, JsonMembers>)(m => m.Add(JsonMembers.Key(t.Item1), t.Item2))),
        TextGen.Zip3(Gen.Elements(FormFields), Gen.Elements(false, true), TextGen.AnyJson())
            .Select(t => (Func<JsonMembers, JsonMembers>)(m => m.Add(JsonMembers.Key(t.Item2 ? t.Item1.ToUpperInvariant() : t.Item1), t.Item3))),
        Gen.Zip(Gen.Elements(FormFields.Where(f => f != "isActive" && f != "onlyTriggerForMainEntityChanges").ToArray()),
                Gen.Elements('\0', '\u0001', '\r', '\n', '\u001b', '\u007f', '\u0085'))
            .Select(t => (Func<JsonMembers, JsonMembers>)(m => m.Set(t.Item1, JsonSerializer.Serialize($"a{t.Item2}b")))),
        Gen.Zip(Gen.Elements(("name", 201), ("uri", 2049), ("events", 4001), ("language", 36), ("authentication", 4097)), Gen.Elements('x', 'é', '日'))
            .Select(t => (Func<JsonMembers, JsonMembers>)(m => m.Set(t.Item1.Item1, JsonSerializer.Serialize(new string(t.Item2, t.Item1.Item2))))),
        Gen.Zip(Gen.Elements(FormFields.Where(f => f != "isActive" && f != "onlyTriggerForMainEntityChanges").ToArray()),
                Gen.Elements("\\ud800", "\\udfff", "a\\udc00\\ud800b", "x\\ud83d"))
            .Select(t => (Func<JsonMembers, JsonMembers>)(m => m.Set(t.Item1, $"\"{t.Item2}\""))),
        Gen.Elements("X-Key=a\r\nInjected: 1", "X Key=v", "X:Key=v", "X-Kéy=v", "X-Key=vé", "X-Key=\u0000", "=v", "X-Key=",
                "no-equals", "Host=evil", "Content-Length=0", "Transfer-Encoding=chunked", "webhook-id=1", "X\u0000Key=v",
                "X-Key\r\n=v", "\u202eX=v", "X-Key=\ud800")
            .Select(a => (Func<JsonMembers, JsonMembers>)(m => m.Set("authenticationType", "\"header\"").Set("authentication", JsonSerializer.Serialize(a)))),
        Gen.Constant((Func<JsonMembers, JsonMembers>)(m => m.Set("authenticationType", "\"none\"").Set("authentication", "\"X-Key=v\""))));

    /// <summary>Value swaps that may or may not be valid on their own.</summary>
    private static Gen<Func<JsonMembers, JsonMembers>> Nudge { get; } =
        Gen.Zip(Gen.Elements(FormFields), TextGen.AnyJson())
            .Select(t => (Func<JsonMembers, JsonMembers>)(m => m.Set(t.Item1, t.Item2)));

    /// <summary>Corruptions of the whole text; each keeps an invalid body invalid.</summary>
    public static Gen<Func<string, byte[]>> Corrupt { get; } = Gen.Frequency(
        (10, Gen.Constant((Func<string, byte[]>)Encoding.UTF8.GetBytes)),
        (1, Gen.Choose(0, 1000).Select(n => (Func<string, byte[]>)(t => Encoding.UTF8.GetBytes(t[..Math.Min(n, t.Length)])))),
        (1, Gen.Zip(Gen.Elements(Naughty.InvalidUtf8), Gen.Choose(0, 1000)).Select(x => (Func<string, byte[]>)(t =>
        {
            var bytes = Encoding.UTF8.GetBytes(t);
            var at = Math.Min(x.Item2, bytes.Length);
            return [.. bytes[..at], .. x.Item1, .. bytes[at..]];
        }))),
        (1, Gen.Constant((Func<string, byte[]>)(t => [0xef, 0xbb, 0xbf, .. Encoding.UTF8.GetBytes(t)]))),
        (1, Gen.Elements(65, 1_000, 10_000).Select(depth => (Func<string, byte[]>)(t =>
            Encoding.UTF8.GetBytes(t[..^1] + ",\"deep\":" + new string('[', depth) + new string(']', depth) + "}")))),
        (1, Gen.Constant((Func<string, byte[]>)(t => Encoding.UTF8.GetBytes(t[..^1] + ",\"pad\":\"" + new string('x', (1 << 20) + 1) + "\"}")))),
        (1, Gen.Elements("", " ", "null", "[]", "\"text\"", "42", "{", "}", "{}{}", "[{}]", "{\"name\":}", "{'name':'x'}", "{name:\"x\"}",
                "{\"a\":1,}", "\u0000", "NaN", "<xml/>", "name=x&uri=y")
            .Select(s => (Func<string, byte[]>)(_ => Encoding.UTF8.GetBytes(s)))));

    public static Gen<byte[]> InvalidWebhookForm { get; } =
        from header in Gen.Elements(false, true)
        from breaks in BreakForm.NonEmptyListOf()
        from nudges in Nudge.ListOf()
        from corrupt in Corrupt
        let form = nudges.Concat(breaks).Aggregate(ValidForm(header), (m, f) => f(m))
        select corrupt(form.Text);

    public static JsonMembers ValidEvent => new JsonMembers([]).Set("eventType", "\"task_added\"").Set("entity", "{\"id\":1}");

    private static readonly string[] EventStrings = ["workspaceId", "eventType", "entityId", "entityType", "entityLink", "traceId", "timestamp"];
    private static readonly string[] EventFields = [.. EventStrings, "entity", "triggeredBy", "changes", "isMainEntityChange"];

    /// <summary>Mutations each of which alone makes an event invalid (for a workspace token; see <see cref="InvalidEvent"/>).</summary>
    private static Gen<Func<JsonMembers, JsonMembers>> BreakEvent { get; } = Gen.OneOf(
        Gen.Zip(Gen.Elements(EventStrings), TextGen.AnyJson(strings: false).Where(v => v != "null"))
            .Select(t => (Func<JsonMembers, JsonMembers>)(m => m.Set(t.Item1, t.Item2))),
        Gen.Zip(Gen.Elements("entity", "triggeredBy", "changes"), Gen.Elements("1", "\"x\"", "true", "1e400"))
            .Select(t => (Func<JsonMembers, JsonMembers>)(m => m.Set(t.Item1, t.Item2))),
        Gen.Constant((Func<JsonMembers, JsonMembers>)(m => m.Set("triggeredBy", "[]"))),
        TextGen.AnyJson(booleans: false).Where(v => v != "null").Select(v => (Func<JsonMembers, JsonMembers>)(m => m.Set("isMainEntityChange", v))),
        Gen.Constant((Func<JsonMembers, JsonMembers>)(m => m.Remove("eventType"))),
        TextGen.NastyJsonString.Select(v => (Func<JsonMembers, JsonMembers>)(m => m.Set("eventType", v))),
        Gen.Elements("\"not-a-uuid\"", "\"00000000-0000-0000-0000-000000000001\"", "\"\"", "\"\\ud800\"", "\"3fa85f64-5717-4562-b3fc-2c963f66afa6 \"")
            .Select(v => (Func<JsonMembers, JsonMembers>)(m => m.Set("workspaceId", v))),
        Gen.Elements("\"yesterday\"", "\"2026-02-30\"", "\"\"", "\"\\u0000\"", "\"10000-01-01\"")
            .Select(v => (Func<JsonMembers, JsonMembers>)(m => m.Set("timestamp", v))),
        Gen.Zip(TextGen.Nasty.Where(n => !EventFields.Contains(n, StringComparer.OrdinalIgnoreCase)), TextGen.AnyJson())
            .Select(t => (Func<JsonMembers, JsonMembers>)(m => m.Add(JsonMembers.Key(t.Item1), t.Item2))),
        Gen.Zip(Gen.Elements(EventFields), TextGen.AnyJson())
            .Select(t => (Func<JsonMembers, JsonMembers>)(m => m.Add(JsonMembers.Key(t.Item1.ToUpperInvariant()), t.Item2))),
        Gen.Elements(("entityId", 201), ("entityType", 101), ("traceId", 201), ("entityLink", 2049), ("eventType", 101))
            .Select(t => (Func<JsonMembers, JsonMembers>)(m => m.Set(t.Item1, JsonSerializer.Serialize(new string('x', t.Item2))))),
        Gen.Zip(Gen.Elements(EventStrings), Gen.Elements("\\ud800", "a\\udc00\\ud800b"))
            .Select(t => (Func<JsonMembers, JsonMembers>)(m => m.Set(t.Item1, $"\"{t.Item2}\""))),
        Gen.Elements(65, 10_000).Select(d => (Func<JsonMembers, JsonMembers>)(m => m.Set("entity", "{\"a\":" + new string('[', d) + new string(']', d) + "}"))));

    private static Gen<Func<JsonMembers, JsonMembers>> NudgeEvent { get; } = Gen.OneOf(
        Gen.Zip(Gen.Elements(EventFields), TextGen.AnyJson()).Select(t => (Func<JsonMembers, JsonMembers>)(m => m.Set(t.Item1, t.Item2))),
        TextGen.Zip3(Gen.Elements("entity", "changes", "triggeredBy"), TextGen.NastyJsonString, TextGen.NastyJsonString)
            .Select(t => (Func<JsonMembers, JsonMembers>)(m => m.Set(t.Item1, "{" + t.Item2 + ":" + t.Item3 + "}"))));

    public static Gen<string> InvalidEvent { get; } =
        from breaks in BreakEvent.NonEmptyListOf()
        from nudges in NudgeEvent.ListOf()
        select nudges.Concat(breaks).Aggregate(ValidEvent, (m, f) => f(m)).Text;

    public static Gen<string> MaybeValidEvent { get; } =
        from nudges in NudgeEvent.ListOf()
        select nudges.Aggregate(ValidEvent, (m, f) => f(m)).Text;

    /// <summary>A batch that must be refused: one bad event among good ones, not an array, empty, or over 1000 events.</summary>
    public static Gen<string> InvalidBatch { get; } = Gen.Frequency(
        (6, from good in MaybeValidEvent.ListOf().Resize(4)
            from bad in InvalidEvent
            from at in Gen.Choose(0, good.Count)
            select "[" + string.Join(",", good.Take(at).Append(bad).Concat(good.Skip(at))) + "]"),
        (1, InvalidEvent),
        (1, Gen.Elements("[]", "[[]]", "[null]", "[1,2]", "{\"events\":[]}", "[" + string.Join(",", Enumerable.Repeat(ValidEvent.Text, 1001)) + "]")));
}
