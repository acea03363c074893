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
        // The same few statements run all the time: parsed and planned once per connection, not on every call.
        if (builder.MaxAutoPrepare == 0) builder.MaxAutoPrepare = 64;
        // Hookline leaves no session state behind (no SET, temp tables or session locks outlive a use), so a pooled connection
        // need not be reset: the reset was seven statements on every return, more than the work of most uses.
        builder.NoResetOnClose = true;
        // Every statement here is small and frequent; PostgreSQL's JIT compiles a statement whose estimated cost passes
        // jit_above_cost, in 50-90 ms, on every execution. The queue's pool below makes the planner's costs huge on purpose
        // (a disabled plan type costs 10^10), and its secrets lookup of a row or two then took 46 ms a call (throughput 2.7k).
        builder.Options = $"{builder.Options} -c jit=off".Trim();
        ConnectionString = builder.ConnectionString;
        DataSource = NpgsqlDataSource.Create(ConnectionString);
        // A second pool whose sessions commit without waiting for the WAL flush (see BeginWriteAsync): no SET per transaction.
        // It runs the queue's claims and results, planned to read the queue by key or along its due index only, whatever the
        // queue's statistics say: they are often wrong, as the queue goes from empty to a burst to all in flight within
        // seconds. Statistics saying "nearly empty" made PostgreSQL scan all of it for every claim (auto_explain; fan-out fell
        // from 13k to 2k deliveries/s in one bench run); statistics taken while everything queued was leased made it fetch
        // every due row by bitmap and sort them (~48,000 buffers a claim; throughput fell from 12.6k to 1.6k in another).
        // Its sessions also run the queue's own vacuums, at autovacuum's pace (see Recorded); nothing else here reads the setting.
        // Their prepared statements keep one generic plan: with these costs PostgreSQL judged a custom plan cheaper on every
        // call, and planned the results, their reads and the claim that passes a troubled webhook by each time (0.5 ms a plan,
        // more than running them; that claim was planned 10,741 times in 13,016 calls, 5.6 s of a core in one bench node's minute).
        builder.Options = $"{builder.Options} -c synchronous_commit=off -c enable_seqscan=off -c enable_bitmapscan=off -c enable_sort=off -c vacuum_cost_delay=2 -c plan_cache_mode=force_generic_plan".Trim();
        _unsynced = NpgsqlDataSource.Create(builder.ConnectionString);
    }

    private readonly NpgsqlDataSource _unsynced;

    public string ConnectionString { get; }
    public NpgsqlDataSource DataSource { get; }
    public override SqlDialect Dialect => PostgresDialect.Instance;
    public override bool FlushesSeparately => false;
    public override int IngestWriters => 2; // one statement is one backend, one core: two groups keep a second busy

    public override async Task<DbConnection> OpenAsync(CancellationToken ct = default) => await DataSource.OpenConnectionAsync(ct);

    public override async Task<DbConnection> OpenQueueAsync(CancellationToken ct = default) => await _unsynced.OpenConnectionAsync(ct);

    /// <summary>
    /// A group without idempotency keys is one statement (<see cref="PostgresDialect.IngestAloneAsync"/>), committed by itself: one
    /// round trip, where BEGIN with it and a COMMIT after took two. Keys need the transaction, to lock them and save the answers.
    /// </summary>
    public override async Task<IngestResult[]> IngestAsync(IReadOnlyList<IngestRequest> group, bool durable)
    {
        if (!durable || group.Any(r => r.Key is not null)) return await base.IngestAsync(group, durable);
        await using var c = await DataSource.OpenConnectionAsync();
        return await PostgresDialect.IngestAloneAsync(c, group);
    }

    public override async Task<SqlWrite> BeginWriteAsync(CancellationToken ct = default, bool durable = true)
    {
        var connection = await (durable ? DataSource : _unsynced).OpenConnectionAsync(ct);
        try
        {
            var transaction = await connection.BeginTransactionAsync(ct); // sent with the first statement, not on its own
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

    /// <summary>Attempts recorded since the queue was last vacuumed that make the next vacuum worth its cost.</summary>
    public const int VacuumAfter = 5000;

    private long _recorded;
    private int _vacuuming;

    /// <summary>
    /// Every recorded attempt leaves a dead queue row, and its dead entry sits at the front of the index the claim walks, in
    /// the claim's way until a VACUUM removes it. Autovacuum comes about once a minute, by which time a busy node has left
    /// hundreds of thousands; the queue holds only what is pending, so vacuuming it every few thousand takes milliseconds.
    /// One vacuum at a time per node; SKIP_LOCKED makes a node whose neighbour is already vacuuming skip its turn. It runs at
    /// autovacuum's pace (a 2 ms rest every 200 cost units) and without parallel workers: at full speed, beside a backlog of
    /// 20,000, a vacuum took 100-400 ms of the cores and the disk every ten seconds (starting and waiting for its index
    /// workers among it), and every webhook's deliveries waited for them.
    /// </summary>
    public override void Recorded(int attempts)
    {
        Interlocked.Add(ref _grown, -attempts);
        if (Interlocked.Add(ref _recorded, attempts) >= VacuumAfter && Interlocked.Exchange(ref _vacuuming, 1) == 0)
        {
            Interlocked.Exchange(ref _recorded, 0);
            // A vacuum counts the queue's rows as well.
            Interlocked.Exchange(ref _grown, 0);
            Volatile.Write(ref _analyzeAfter, VacuumAfter);
            _ = MaintainQueueAsync("VACUUM (SKIP_LOCKED, PARALLEL 0) delivery_queue;");
        }
    }

    /// <summary>How much the queue grew (deliveries queued less attempts recorded) since its statistics were last taken here.</summary>
    private long _grown;

    private long _analyzeAfter = VacuumAfter;

    /// <summary>
    /// The planner reads the queue's size from its statistics, which our vacuums take, often while it is nearly empty: with
    /// 20,000 deliveries just queued behind such statistics, PostgreSQL reached the queue rows of a batch of results along the
    /// due index, every row of it for each result (auto_explain: 124 results, 12,248 buffers, 68 ms; 236, 275 ms), as if the
    /// whole index were a page. So once the queue has grown by <see cref="VacuumAfter"/> since its statistics were taken, it
    /// is analysed, then again after it grew by twice as much, and so on until a vacuum starts over (a million queued at once:
    /// about eight). A queue that drains as fast as it fills is not analysed.
    /// </summary>
    public override void Queued(int deliveries)
    {
        if (Interlocked.Add(ref _grown, deliveries) >= Volatile.Read(ref _analyzeAfter) && Interlocked.Exchange(ref _vacuuming, 1) == 0)
        {
            Interlocked.Exchange(ref _grown, 0);
            Volatile.Write(ref _analyzeAfter, Math.Min(_analyzeAfter * 2, 1 << 24));
            _ = MaintainQueueAsync("ANALYZE (SKIP_LOCKED) delivery_queue;");
        }
    }

    private async Task MaintainQueueAsync(string sql)
    {
        try
        {
            await using var c = await _unsynced.OpenConnectionAsync();
            await using var command = new NpgsqlCommand(sql, c);
            await command.ExecuteNonQueryAsync();
        }
        catch (Exception)
        {
            // Nobody awaits this: autovacuum remains the backstop, and the next few thousand attempts try again.
        }
        finally
        {
            Volatile.Write(ref _vacuuming, 0);
        }
    }

    public void Dispose()
    {
        DataSource.Dispose();
        _unsynced.Dispose();
    }

    private int _wakePending;

    /// <summary>
    /// Sent as the NOTIFY's payload: this process's listener ignores its own wakes, since its workers were already told in
    /// process. Echoed back, each was a claim that found nothing and a look at the queue, on every commit of a busy node.
    /// </summary>
    public string WakeTag { get; } = Guid.NewGuid().ToString("N");

    /// <summary>The application name of this node's listening session: other nodes count sessions named so (<see cref="OthersListen"/>).</summary>
    public string ListenerName => $"{ListenerPrefix}{WakeTag}";

    public const string ListenerPrefix = "Hookline listener ";

    /// <summary>
    /// Whether another node's listener was connected to this database when <see cref="PostgresWakeListener"/> last looked (once a
    /// second); until it has looked, yes. Alone, a node's NOTIFY reached only its own listener, which ignores it: at 500 events
    /// a second, 500 transactions, and as many wake-ups of its listening session and of the node, for nothing.
    /// </summary>
    public bool OthersListen { get => _othersListen; set => _othersListen = value; }

    private volatile bool _othersListen = true;

    /// <summary>Counts the listening sessions of other nodes on this database, by the application name each gives its own.</summary>
    public const string OtherListeners =
        $"SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE '{ListenerPrefix}%' AND application_name <> @Mine;";

    /// <summary>
    /// NOTIFY after the commit, not inside it: PostgreSQL serialises the commits of notifying transactions, WAL flush included.
    /// Wakes asked for while one is being sent share the next one; if a wake is lost, the workers' poll is the backstop (so is
    /// it for a node that started less than a second ago, before the others' listeners have seen its own).
    /// </summary>
    public override void Wake()
    {
        if (OthersListen && Interlocked.Exchange(ref _wakePending, 1) == 0) _ = SendWakeAsync();
    }

    private async Task SendWakeAsync()
    {
        try
        {
            await using var c = await DataSource.OpenConnectionAsync();
            Volatile.Write(ref _wakePending, 0); // a commit after this point asks again; one before it is covered by this NOTIFY
            await using var notify = new NpgsqlCommand($"SELECT pg_notify('{WakeChannel}', @tag);", c) { Parameters = { new("tag", WakeTag) } };
            await notify.ExecuteNonQueryAsync();
        }
        catch (Exception)
        {
            Volatile.Write(ref _wakePending, 0); // nobody awaits this: the next commit asks again, and the poll is the backstop
        }
    }
}
