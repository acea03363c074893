using System.Data.Common;

namespace Hookline.Storage;

/// <summary>
/// A database the stores talk to: how connections and write transactions are opened, how commits become durable, and
/// the <see cref="SqlDialect"/> for the few statements that differ. Everything else is written once, in the stores.
/// </summary>
public abstract class SqlDb
{
    static SqlDb() => SqlValues.Register();

    public abstract SqlDialect Dialect { get; }

    public abstract Task<DbConnection> OpenAsync(CancellationToken ct = default);

    /// <summary>A connection for the queue's own statements outside a transaction (PostgreSQL: the pool set up for them).</summary>
    public virtual Task<DbConnection> OpenQueueAsync(CancellationToken ct = default) => OpenAsync(ct);

    /// <summary>
    /// Opens a write transaction. <paramref name="durable"/> false commits without waiting for the disk: for writes whose
    /// loss in a power cut is harmless (a lease is claimed again; a result means one more send, at least once as always), or
    /// whose writer calls <see cref="FlushAsync"/> before it answers, as ingest does. A crash of the process loses nothing.
    /// </summary>
    public abstract Task<SqlWrite> BeginWriteAsync(CancellationToken ct = default, bool durable = true);

    /// <summary>Writes a group of ingest requests and commits it (<see cref="SqlDialect.IngestAsync"/>).</summary>
    public virtual async Task<IngestResult[]> IngestAsync(IReadOnlyList<IngestRequest> group, bool durable)
    {
        await using var write = await BeginWriteAsync(durable: durable);
        var results = await Dialect.IngestAsync(write, group);
        await write.CommitAsync();
        return results;
    }

    /// <summary>Makes every transaction committed before the call durable, including those committed with durable false.</summary>
    public abstract Task FlushAsync();

    /// <summary>
    /// Whether ingest commits without waiting and flushes in a loop of its own (<see cref="EventStore"/>). SQLite: yes, so the
    /// single writer is not held through the fsync. PostgreSQL: no, a durable commit is one round trip fewer and its WAL
    /// writer already lets concurrent commits share a flush.
    /// </summary>
    public abstract bool FlushesSeparately { get; }

    /// <summary>How many ingest groups are written at once: SQLite has one writer; PostgreSQL writes in parallel.</summary>
    public abstract int IngestWriters { get; }

    /// <summary>Removes what overwritten rows left behind in the files (after secrets were encrypted in place).</summary>
    public virtual Task ForgetOverwrittenAsync(CancellationToken ct) => Task.CompletedTask;

    /// <summary>Tells the delivery workers of other processes that deliveries were queued (this process's are told by the caller).</summary>
    public virtual void Wake() { }

    /// <summary>Counts attempts recorded (each left its queue row or moved it): PostgreSQL vacuums the queue every few thousand.</summary>
    public virtual void Recorded(int attempts) { }

    /// <summary>Counts deliveries queued: PostgreSQL analyses the queue when they outgrow what its statistics say.</summary>
    public virtual void Queued(int deliveries) { }
}

/// <summary>An open write transaction; disposing it rolls back what was not committed and gives the connection back.</summary>
public sealed class SqlWrite(DbConnection connection, DbTransaction transaction, Func<ValueTask> dispose) : IAsyncDisposable
{
    public DbConnection Connection => connection;
    public DbTransaction Transaction => transaction;
    public Task CommitAsync(CancellationToken ct = default) => transaction.CommitAsync(ct);
    public ValueTask DisposeAsync() => dispose();
}
