using System.Data.Common;
using Hookline.Storage.Querying;

namespace Hookline.Storage;

/// <summary>
/// What SQLite and PostgreSQL write differently: a few SQL fragments, and the two batch writers whose best form differs
/// (SQLite binds prepared statements row by row in process; PostgreSQL sends a batch as arrays in one round trip).
/// Every other statement is written once, in the stores.
/// </summary>
public abstract class SqlDialect : ISqlDialect
{
    public abstract object ToParameter(object value);
    public abstract string Like(string column, string parameter);
    public abstract string ByCodePoint(string column);

    /// <summary>The column type of stored times, to give a parameter that may be null a type (<c>CAST(@x AS …)</c>).</summary>
    public abstract string TimeType { get; }

    /// <summary><paramref name="column"/> is one of the values bound by <see cref="Values{T}"/> to <paramref name="parameter"/>.</summary>
    public abstract string In(string column, string parameter);

    /// <summary>
    /// <paramref name="column"/> is one of the values <paramref name="query"/> returns, looked up by the column's index (on
    /// PostgreSQL an IN over a subquery may be planned as a scan of the whole table, hashed).
    /// </summary>
    public abstract string InQuery(string column, string query);

    /// <summary>A list parameter for <see cref="In"/>.</summary>
    public abstract object Values<T>(IEnumerable<T> values);

    public abstract string Greatest(string a, string b);

    /// <summary>An expression for a new random message id (<c>msg_</c> and 32 hex digits), one per row.</summary>
    public abstract string NewMessageId { get; }

    /// <summary>True when <paramref name="item"/> is one of the comma-separated values of <paramref name="list"/>.</summary>
    public abstract string ListContains(string list, string item);

    /// <summary>Appended to the claim's row selection: other nodes' claims skip the rows this one is taking.</summary>
    public abstract string SkipLocked { get; }

    /// <summary>Appended to a SELECT whose rows the transaction goes on to change, so concurrent writers queue (SQLite has one writer).</summary>
    public abstract string ForUpdate { get; }

    /// <summary>The physical row id, for deleting in batches.</summary>
    public abstract string RowId { get; }

    /// <summary>A statement that keeps other writers of <paramref name="table"/> out until the transaction ends.</summary>
    public abstract string LockTable(string table);

    /// <summary>
    /// Whether <see cref="ClaimInOneAsync"/> leases and reads a claim in one statement (PostgreSQL: an UPDATE inside WITH).
    /// SQLite cannot, and claims in a write transaction with a second round trip for the rest; its round trips are calls in process.
    /// </summary>
    public virtual bool ClaimsInOneStatement => false;

    /// <summary>
    /// Runs the claim's <paramref name="picked"/> (a WITH entry named picked) and <paramref name="lease"/> (the UPDATE that leases
    /// what it picked) as one statement on <paramref name="c"/>, outside any transaction, returning each leased delivery with its
    /// event and its webhook's target, the ids of those it leased whose webhook no longer exists, and what
    /// <paramref name="nextDue"/> (a look for the next due delivery) reads after it.
    /// </summary>
    public virtual Task<(List<ClaimedDelivery> Leased, List<long> Gone, DateTimeOffset? NextDue)> ClaimInOneAsync(DbConnection c, string picked,
        string lease, string nextDue, object args, long token) =>
        throw new NotSupportedException($"{GetType().Name} claims in a transaction (ClaimsInOneStatement is false).");

    /// <summary>
    /// Cancels the deliveries queued where <paramref name="condition"/> holds (a condition on delivery_queue): their records
    /// are cancelled, their queue rows leave, except those of attempts in flight, which stay without a due time, and their
    /// webhooks' leases go. SQLite runs these statements one after another under its one writer, which nothing else writes
    /// between; PostgreSQL needs one statement (<see cref="Postgres.PostgresDialect.CancelQueued"/>).
    /// </summary>
    public virtual string CancelQueued(string condition) =>
        $"""
         UPDATE deliveries SET status = 3, completed_on = @At
         WHERE status = 0 AND {InQuery("id", $"SELECT delivery_id FROM delivery_queue WHERE due_at IS NOT NULL AND {condition}")};
         DELETE FROM delivery_queue WHERE lease_until IS NULL AND {condition};
         UPDATE delivery_queue SET due_at = NULL WHERE due_at IS NOT NULL AND {condition};
         DELETE FROM webhook_leases WHERE {condition};
         """;

    /// <summary>
    /// Gives leased deliveries back to the queue, each due at its own time and held as <see cref="DeliveryLimits"/> says. One
    /// cancelled meanwhile (its webhook deleted or paused while it was leased: no due time) leaves the queue instead, as the
    /// attempt it will not have would have made it; given back, it would stand due for a webhook that is gone. One statement
    /// per delivery, prepared once: SQLite runs them in process; PostgreSQL sends one statement over arrays.
    /// </summary>
    public virtual Task GiveBackAsync(DbConnection c, DbTransaction tx, IReadOnlyList<(long Id, DateTimeOffset DueAt, int Hold)> rows) =>
        Dapper.SqlMapper.ExecuteAsync(c,
            "UPDATE delivery_queue SET lease_until = NULL, lease_token = NULL, leased_by = NULL, due_at = @DueAt, hold = @Hold " +
            "WHERE delivery_id = @Id AND due_at IS NOT NULL; DELETE FROM delivery_queue WHERE delivery_id = @Id AND due_at IS NULL;",
            rows.Select(r => new { r.Id, r.DueAt, r.Hold }), tx);

    /// <summary>Writes a group of ingest requests in the open transaction; one failing request fails alone.</summary>
    public abstract Task<IngestResult[]> IngestAsync(SqlWrite write, IReadOnlyList<IngestRequest> group);

    /// <summary>
    /// Records attempt results in the open transaction (see <see cref="IDeliveryStore.CompleteAsync"/>): how many applied, and
    /// the operational events they made due (<see cref="ResultSteps.AlertReads"/>).
    /// </summary>
    public abstract Task<Recorded> RecordResultsAsync(SqlWrite write, IReadOnlyList<AttemptResult> results, int pauseAfter, string node,
        CancellationToken ct);
}

public sealed record IngestRequest(IReadOnlyList<NewEvent> Events, IdempotencyKey? Key, int MaxAttempts,
    Func<IReadOnlyList<IngestedEvent>, string> Response);

/// <summary>What became of one request of a group: an outcome, or the error that failed it alone.</summary>
public readonly record struct IngestResult(IngestOutcome? Outcome, Exception? Error, int Deliveries);
