namespace Hookline.Storage.Postgres;

/// <summary>PostgreSQL's fragments: native uuid, timestamptz and boolean; arrays for lists; rows skipped, not waited for.</summary>
public sealed partial class PostgresDialect : SqlDialect
{
    public static readonly PostgresDialect Instance = new();

    public override object ToParameter(object value) => value is DateTimeOffset t ? t.ToUniversalTime() : value;
    public override string Like(string column, string parameter) => $"{column} ILIKE {parameter} ESCAPE '\\'";
    public override string ByCodePoint(string column) => $"{column} COLLATE \"C\"";
    public override string TimeType => "timestamptz";
    public override string In(string column, string parameter) => $"{column} = ANY({parameter})";
    public override string InQuery(string column, string query) => $"{column} = ANY(ARRAY({query}))";
    public override object Values<T>(IEnumerable<T> values) => values.ToArray();
    public override string Greatest(string a, string b) => $"GREATEST({a}, {b})";
    public override string NewMessageId => "'msg_' || replace(gen_random_uuid()::text, '-', '')";
    public override string ListContains(string list, string item) => $"strpos(',' || {list} || ',', ',' || {item} || ',') > 0";
    public override string SkipLocked => "FOR UPDATE OF q SKIP LOCKED";
    public override string ForUpdate => "FOR UPDATE";
    public override string RowId => "ctid";
    public override string LockTable(string table) => $"LOCK TABLE {table} IN EXCLUSIVE MODE;";

    internal static DateTimeOffset Utc(DateTimeOffset t) => t.ToUniversalTime();
    internal static DateTimeOffset? Utc(DateTimeOffset? t) => t?.ToUniversalTime();
}
