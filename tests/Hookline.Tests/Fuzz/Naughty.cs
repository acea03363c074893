namespace Hookline.Tests.Fuzz;

/// <summary>
/// Known-nasty values in the spirit of the "big list of naughty strings", written here (no download): each has broken
/// some parser, database, encoder or header writer somewhere. The generators mix these with random soup.
/// </summary>
public static class Naughty
{
    public static readonly string[] Strings =
    [
        // empty, blank, reserved words
        "", " ", "  \t  ", "\u00a0", "\u2003", "\u200b", "\ufeff", "undefined", "null", "NULL", "nil", "None", "true", "false",
        "True", "NaN", "Infinity", "-Infinity", "0", "-0", "0.0", "-1", "1e999", "1E+309", "0x7fffffff", "99999999999999999999",
        "2147483648", "-2147483649", "9223372036854775808", "1/0", "1,000", "١٢٣", "１２３", "+1", "01", "1.", ".1",
        // control characters, CRLF and header injection
        "\0", "a\0b", "\r", "\n", "\r\n", "\t", "\u0007", "\u001b[31mred", "\u007f", "\u0085", "\u2028", "\u2029",
        "value\r\nX-Injected: 1", "X-Key=a\r\nHost: evil", "%0d%0aSet-Cookie:%20a=b", "a\nb", "\r\n\r\nGET / HTTP/1.1",
        // unicode: RTL, combining, emoji, zalgo, astral, non-characters
        "\u202eevil\u202c", "\u200f\u200e", "مرحبا بالعالم", "שָׁלוֹם", "田中さんにあげて下さい", "表ポあA鷗ŒéＢ逍Üßªąñ丂㐀𠀀",
        "👾 🙇 💁 🙅 🙆 🙋 🙎 🙍", "👨‍👩‍👧‍👦", "🏳️‍🌈", "\ud83d\ude00", "Ṱ̺̺̕o͞ ̷i̲̬͇̪͙n̝̗͕v̟̜̘̦͟o̶̙̰̠kè͚̮̺̪̹̱̤ ̖t̝͕̳̣̻̪͞h̼͓̲̦̳̘̲e͇̣̰̦̬͎ ̢̼̻̱̘h͚͎͙̜̣̲ͅi̦̲̣̰̤v̻͍e̺̭̳̪̰-m̢iͅn̖̺̞̲̯̰d̵̼̟͙̩̼̘̳",
        "\ufffd", "\uffff", "\ufffe", "𝕋𝕙𝕖", "ǅ", "İ", "ı", "ß", "ﬁ", "Ⅻ",
        // lone and reversed surrogates (not representable in UTF-8)
        "\ud800", "\udfff", "a\ud800b", "\udc00\ud800", "x\ud83d",
        // SQL
        "'", "''", "\"", "`", "'; DROP TABLE webhooks; --", "\"; DROP TABLE webhooks; --", "1' OR '1'='1", "1 OR 1=1",
        "' UNION SELECT secret FROM webhook_secrets --", "%' --", "\\", "\\'", "'); DELETE FROM deliveries; --",
        "$1", "@Workspace", ":name", "?", "%", "_", "[", "*", "/**/", "-- ", "#", "; VACUUM;", "SLEEP(10)",
        // script, template and format injection
        "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "javascript:alert(1)", "{{7*7}}", "${7*7}",
        "#{7*7}", "%s%s%s%s%n", "{0}", "{", "}", "[]", "{}", "[[[", "]]]", "<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>",
        // paths and URLs
        "../../../../etc/passwd", "..\\..\\windows\\win.ini", "/", "//", "./", "%2e%2e%2f", "%252e", "%00", "%zz", "%",
        "%c0%ae", "%ff", "file:///etc/passwd", "http://", "https://", "http://localhost", "https://169.254.169.254/latest",
        "http://[::1]/", "https://exa mple.com", "https://xn--80ak6aa92e.com", "https://a.b/\u0000", "http://a.b:99999",
        "https://user:pass@host", "mailto:a@b", "//evil.example/h", "https:/\\evil.example",
        // uuids that are not quite
        "00000000-0000-0000-0000-000000000000", "3fa85f64-5717-4562-b3fc-2c963f66afa", "3fa85f64-5717-4562-b3fc-2c963f66afa6x",
        "3fa85f6457174562b3fc2c963f66afa6", "{3fa85f64-5717-4562-b3fc-2c963f66afa6}", "(3fa85f64-5717-4562-b3fc-2c963f66afa6)",
        "3FA85F64-5717-4562-B3FC-2C963F66AFA6", "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz", "3fa85f64_5717_4562_b3fc_2c963f66afa6",
        "guid'3fa85f64-5717-4562-b3fc-2c963f66afa6'", " 3fa85f64-5717-4562-b3fc-2c963f66afa6 ",
        // dates
        "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.9999999Z", "10000-01-01", "2026-02-30", "2026-13-01", "2026-01-31T25:00",
        "1970-01-01", "-0001-01-01", "now", "yesterday", "31/01/2026", "2026-01-31T12:00:00+99:00", "1e10",
    ];

    /// <summary>Byte sequences that are not UTF-8: stray continuation bytes, overlong forms, encoded surrogates, cut-off sequences.</summary>
    public static readonly byte[][] InvalidUtf8 =
    [
        [0xff], [0xfe, 0xff], [0x80], [0xbf], [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xf0, 0x80, 0x80, 0xaf], [0xed, 0xa0, 0x80],
        [0xed, 0xbf, 0xbf], [0xc3], [0xe2, 0x82], [0xf4, 0x90, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xc0, 0x80],
    ];

    /// <summary>JSON string escapes that decode to lone or reversed surrogates: valid JSON text, impossible .NET-to-UTF-8 strings.</summary>
    public static readonly string[] JsonEscapes =
    [
        "\\ud800", "\\udfff", "a\\ud800b", "\\udc00\\ud800", "\\u0000", "\\u0000\\u0000", "\\r\\n", "\\u202e", "\\ud83d\\ude00",
        "\\uffff", "\\u0085", "\\\\", "\\/", "\\\"",
    ];
}
