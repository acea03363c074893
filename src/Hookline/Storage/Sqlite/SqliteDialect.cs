namespace Hookline.Storage.Sqlite;

/// <summary>SQLite's fragments: text uuids, millisecond times, one writer (so nothing to skip or lock).</summary>
public sealed partial class SqliteDialect : SqlDialect
{
    public static readonly SqliteDialect Instance = new();

    public override object ToParameter(object value) => value switch
    {
        Guid g => SqlValues.Text(g),
        DateTimeOffset t => SqlValues.Millis(t),
        bool b => b ? 1 : 0,
        decimal d => (double)d,
        _ => value,
    };

    // LIKE alone ignores ASCII case only; folding both sides first (SqliteDb registers fold) ignores every letter's, as ILIKE does.
    public override string Like(string column, string parameter) => $"{FoldFunction}({column}) LIKE {FoldFunction}({parameter}) ESCAPE '\\'";
    public override string ByCodePoint(string column) => column; // SQLite compares text as bytes of UTF-8: by code point
    public override string TimeType => "INTEGER";

    /// <summary>The SQL function, registered on each connection by <see cref="RegisterFunctions"/>, that lowercases any letter.</summary>
    public const string FoldFunction = "hl_fold";

    public static void RegisterFunctions(Microsoft.Data.Sqlite.SqliteConnection connection) =>
        connection.CreateFunction(FoldFunction, (string? text) => text?.ToLowerInvariant(), isDeterministic: true);
    // A list is one JSON array parameter: one statement text whatever the count, so SQLite's statement cache keeps it.
    public override string In(string column, string parameter) => $"{column} IN (SELECT value FROM json_each({parameter}))";

    public override string InQuery(string column, string query) => $"{column} IN ({query})";

    public override object Values<T>(IEnumerable<T> values) =>
        System.Text.Json.JsonSerializer.Serialize(values.Select(v => v is Guid g ? SqlValues.Text(g) : (object?)v));

    public override string Greatest(string a, string b) => $"MAX({a}, {b})";
    public override string NewMessageId => "'msg_' || lower(hex(randomblob(16)))";
    public override string ListContains(string list, string item) => $"instr(',' || {list} || ',', ',' || {item} || ',') > 0";
    public override string SkipLocked => "";
    public override string ForUpdate => "";
    public override string RowId => "rowid";
    public override string LockTable(string table) => ""; // the IMMEDIATE transaction already keeps every other writer out
}
