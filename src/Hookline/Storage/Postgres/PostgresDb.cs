using Microsoft.Extensions.Options;
using Npgsql;

namespace Hookline.Storage.Postgres;

/// <summary>The pooled data source every PostgreSQL store opens connections from.</summary>
public sealed class PostgresDb : IDisposable
{
    public const string WakeChannel = "hookline_deliveries";

    static PostgresDb() => Dapper.DefaultTypeMap.MatchNamesWithUnderscores = true;

    public PostgresDb(IOptions<DatabaseOptions> options)
    {
        var builder = new NpgsqlConnectionStringBuilder(options.Value.ConnectionString);
        builder.ApplicationName ??= "Hookline";
        ConnectionString = builder.ConnectionString;
        DataSource = NpgsqlDataSource.Create(ConnectionString);
    }

    public string ConnectionString { get; }
    public NpgsqlDataSource DataSource { get; }

    public ValueTask<NpgsqlConnection> OpenAsync(CancellationToken ct = default) => DataSource.OpenConnectionAsync(ct);

    public void Dispose() => DataSource.Dispose();

    /// <summary>timestamptz wants UTC; Npgsql refuses other offsets rather than guess.</summary>
    public static DateTimeOffset Utc(DateTimeOffset t) => t.ToUniversalTime();
    public static DateTimeOffset? Utc(DateTimeOffset? t) => t?.ToUniversalTime();
    public static DateTimeOffset Time(DateTime t) => new(DateTime.SpecifyKind(t, DateTimeKind.Utc));
    public static DateTimeOffset? Time(DateTime? t) => t is { } v ? Time(v) : null;
}
