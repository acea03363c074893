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

    private int _wakePending;

    /// <summary>
    /// Wakes the delivery workers of every node (<see cref="PostgresWakeListener"/>), after a commit that queued deliveries.
    /// Not a NOTIFY inside that transaction: PostgreSQL serialises the commits of notifying transactions, WAL flush included,
    /// which held single-event ingest to one commit at a time. Wakes asked for while one is being sent share the next one;
    /// if a wake is lost, the workers' poll is the backstop.
    /// </summary>
    public void Wake()
    {
        if (Interlocked.Exchange(ref _wakePending, 1) == 0) _ = SendWakeAsync();
    }

    private async Task SendWakeAsync()
    {
        try
        {
            await using var c = await OpenAsync();
            Volatile.Write(ref _wakePending, 0); // a commit after this point asks again; one before it is covered by this NOTIFY
            await using var notify = new NpgsqlCommand($"SELECT pg_notify('{WakeChannel}', '');", c);
            await notify.ExecuteNonQueryAsync();
        }
        catch (Exception)
        {
            Volatile.Write(ref _wakePending, 0); // nobody awaits this: the next commit asks again, and the poll is the backstop
        }
    }

    /// <summary>timestamptz wants UTC; Npgsql refuses other offsets rather than guess.</summary>
    public static DateTimeOffset Utc(DateTimeOffset t) => t.ToUniversalTime();
    public static DateTimeOffset? Utc(DateTimeOffset? t) => t?.ToUniversalTime();
    public static DateTimeOffset Time(DateTime t) => new(DateTime.SpecifyKind(t, DateTimeKind.Utc));
    public static DateTimeOffset? Time(DateTime? t) => t is { } v ? Time(v) : null;
}
