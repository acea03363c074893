using System.Data;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Hookline.Storage;

/// <summary>
/// How .NET values meet the two databases, so that the stores bind and read plain Guids and times whichever they talk to:
/// SQLite keeps uuids as lowercase text and times as unix milliseconds, PostgreSQL as uuid and timestamptz (UTC).
/// Dapper only consults a handler for these types once its own mapping of them is removed.
/// </summary>
public static class SqlValues
{
    public static void Register()
    {
        Dapper.DefaultTypeMap.MatchNamesWithUnderscores = true; // columns are snake_case, row properties PascalCase
        foreach (var type in new[] { typeof(Guid), typeof(Guid?), typeof(DateTimeOffset), typeof(DateTimeOffset?) }) SqlMapper.RemoveTypeMap(type);
        SqlMapper.AddTypeHandler(new GuidHandler());
        SqlMapper.AddTypeHandler(new TimeHandler());
    }

    public static string Text(Guid id) => id.ToString("D");
    public static long Millis(DateTimeOffset t) => t.ToUnixTimeMilliseconds();

    private sealed class GuidHandler : SqlMapper.TypeHandler<Guid>
    {
        public override void SetValue(IDbDataParameter parameter, Guid value)
        {
            if (parameter is SqliteParameter) (parameter.DbType, parameter.Value) = (DbType.String, Text(value));
            else (parameter.DbType, parameter.Value) = (DbType.Guid, value);
        }

        public override Guid Parse(object value) => value is Guid g ? g : Guid.Parse((string)value);
    }

    private sealed class TimeHandler : SqlMapper.TypeHandler<DateTimeOffset>
    {
        public override void SetValue(IDbDataParameter parameter, DateTimeOffset value)
        {
            // timestamptz wants UTC; Npgsql refuses other offsets rather than guess.
            if (parameter is SqliteParameter) (parameter.DbType, parameter.Value) = (DbType.Int64, Millis(value));
            else (parameter.DbType, parameter.Value) = (DbType.DateTimeOffset, value.ToUniversalTime());
        }

        public override DateTimeOffset Parse(object value) => value switch
        {
            long ms => DateTimeOffset.FromUnixTimeMilliseconds(ms),
            DateTime utc => new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)),
            DateTimeOffset t => t,
            _ => throw new InvalidCastException($"A time cannot be read from {value.GetType().Name}."),
        };
    }
}
