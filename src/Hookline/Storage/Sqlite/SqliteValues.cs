using Hookline.Api.Querying;

namespace Hookline.Storage.Sqlite;

/// <summary>How SQLite stores .NET values: uuids as lowercase text, times as unix milliseconds, booleans as 0/1.</summary>
internal static class SqliteValues
{
    public static string Id(Guid id) => id.ToString("D");
    public static string? Id(Guid? id) => id?.ToString("D");
    public static long Time(DateTimeOffset t) => t.ToUnixTimeMilliseconds();
    public static long? Time(DateTimeOffset? t) => t?.ToUnixTimeMilliseconds();
    public static DateTimeOffset Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);
    public static DateTimeOffset? Time(long? ms) => ms is { } v ? DateTimeOffset.FromUnixTimeMilliseconds(v) : null;

    public sealed class Dialect : ISqlDialect
    {
        public static readonly Dialect Instance = new();

        public object ToParameter(object value) => value switch
        {
            Guid g => Id(g),
            DateTimeOffset t => Time(t),
            bool b => b ? 1 : 0,
            decimal d => (double)d,
            _ => value,
        };

        public string Like(string column, string parameter) => $"{column} LIKE {parameter} ESCAPE '\\'";
    }
}
