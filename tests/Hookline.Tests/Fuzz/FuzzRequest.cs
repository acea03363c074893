namespace Hookline.Tests.Fuzz;

/// <summary>Which token a fuzz request carries: the workspace admin's, a read-only one, an events-only one, none or raw text.</summary>
public enum Caller { Admin, ReadOnly, Publisher, System, None, Raw }

/// <summary>
/// One request, as raw as TestServer lets it be: the path and query string are given already encoded (or deliberately
/// not), headers are set on the server side so that CRLF and non-ASCII reach Hookline instead of being refused by HttpClient.
/// </summary>
public sealed record FuzzRequest(string Method, string Path, string Query = "", byte[]? Body = null,
    string? ContentType = "application/json", Caller Caller = Caller.Admin, string? RawAuthorization = null,
    IReadOnlyList<KeyValuePair<string, string>>? Headers = null)
{
    /// <summary>Bad input must be refused (4xx); reads may also succeed.</summary>
    public bool MustBeRefused { get; init; } = true;

    public static FuzzRequest Json(string method, string path, string json, Caller caller = Caller.Admin) =>
        new(method, path, Body: System.Text.Encoding.UTF8.GetBytes(json), Caller: caller);

    // A failing case is printed by FsCheck: keep it readable when the body or a header is a megabyte.
    public override string ToString()
    {
        var body = Body is null ? "" : $" body[{Body.Length}]={Show(System.Text.Encoding.UTF8.GetString(Body))}";
        var auth = Caller == Caller.Raw ? $" Authorization={Show(RawAuthorization ?? "(none)")}" : $" as {Caller}";
        var headers = Headers is null ? "" : " " + string.Join(" ", Headers.Select(h => $"{Show(h.Key)}: {Show(h.Value)}"));
        return $"{Method} {Show(Path)}{Show(Query)}{auth} ct={ContentType ?? "(none)"}{headers}{body}";
    }

    public static string Show(string text)
    {
        var escaped = string.Concat(text.Take(200).Select(c => c < 0x20 || c is >= '\u007f' and <= '\u009f' || char.IsSurrogate(c)
            ? $"\\u{(int)c:x4}" : c.ToString()));
        return text.Length > 200 ? $"{escaped}…({text.Length} chars)" : escaped;
    }
}
