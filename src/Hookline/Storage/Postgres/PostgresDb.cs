using System.Data.Common;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Hookline.Storage.Postgres;

/// <summary>The pooled data source every store opens PostgreSQL connections from.</summary>
public sealed class PostgresDb : SqlDb, IDisposable
{
    public const string WakeChannel = "hookline_deliveries";

    public PostgresDb(IOptions<DatabaseOptions> options)
    {
        var builder = new NpgsqlConnectionStringBuilder(options.Value.ConnectionString);
        builder.ApplicationName ??= "Hookline";
        ConnectionString = builder.ConnectionString;
        DataSource = NpgsqlDataSource.Create(ConnectionString);
    }

    public string ConnectionString { get; }
    public NpgsqlDataSource DataSource { get; }
    public override SqlDialect Dialect => PostgresDialect.Instance;

    public override async Task<DbConnection> OpenAsync(CancellationToken ct = default) => await DataSource.OpenConnectionAsync(ct);

    public override async Task<SqlWrite> BeginWriteAsync(CancellationToken ct = default, bool durable = true)
    {
        var connection = await DataSource.OpenConnectionAsync(ct);
        try
        {
            var transaction = await connection.BeginTransactionAsync(ct);
            if (!durable)
            {
                // Sent together with the BEGIN, in one round trip.
                await using var off = new NpgsqlCommand("SET LOCAL synchronous_commit = off;", connection, transaction);
                await off.ExecuteNonQueryAsync(ct);
            }
            return new SqlWrite(connection, transaction, async () =>
            {
                try { await transaction.DisposeAsync(); }
                finally { await connection.DisposeAsync(); }
            });
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// A transaction that takes a transaction id commits with a WAL record, and a synchronous commit waits until the WAL is on
    /// disk up to that record: so every earlier commit, synchronous or not, is durable once this returns.
    /// </summary>
    public override async Task FlushAsync()
    {
        await using var c = await DataSource.OpenConnectionAsync();
        await using var flush = new NpgsqlCommand("SELECT pg_current_xact_id();", c);
        await flush.ExecuteNonQueryAsync();
    }

    public void Dispose() => DataSource.Dispose();

    private int _wakePending;

    /// <summary>
    /// NOTIFY after the commit, not inside it: PostgreSQL serialises the commits of notifying transactions, WAL flush included.
    /// Wakes asked for while one is being sent share the next one; if a wake is lost, the workers' poll is the backstop.
    /// </summary>
    public override void Wake()
    {
        if (Interlocked.Exchange(ref _wakePending, 1) == 0) _ = SendWakeAsync();
    }

    private async Task SendWakeAsync()
    {
        try
        {
            await using var c = await DataSource.OpenConnectionAsync();
            Volatile.Write(ref _wakePending, 0); // a commit after this point asks again; one before it is covered by this NOTIFY
            await using var notify = new NpgsqlCommand($"SELECT pg_notify('{WakeChannel}', '');", c);
            await notify.ExecuteNonQueryAsync();
        }
        catch (Exception)
        {
            Volatile.Write(ref _wakePending, 0); // nobody awaits this: the next commit asks again, and the poll is the backstop
        }
    }
}
