using Dapper;

namespace Hookline.Storage.Sqlite;

/// <summary>
/// Moves the WAL into the database file in the background. SQLite's automatic checkpoint runs inside whichever commit
/// crosses the threshold, holding the one writer turn while it copies and fsyncs megabytes: every ingest request queued
/// behind it waited (the p99 latency spikes). A PASSIVE checkpoint on its own connection runs beside the writers instead.
/// But SQLite starts the log over only when a writer begins after everything in it was copied, which under steady writes
/// never happens: new frames always arrive during the copy. So once the log passes a size, the checkpointer takes the
/// writer turn for a RESTART, which copies the few frames the last PASSIVE missed and lets the next write start the log
/// from its beginning. (Without it the log grew to 1.8 GB in a 1,000,000-event backlog, and ingest slowed down with it:
/// every page read searches the log's index.)
/// </summary>
public sealed class SqliteCheckpointer : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);
    private readonly SqliteDb _db;
    private readonly TimeProvider _time;
    private readonly ILogger<SqliteCheckpointer> _logger;
    private readonly long _restartAbovePages;

    public SqliteCheckpointer(SqliteDb db, TimeProvider time, ILogger<SqliteCheckpointer> logger)
        : this(db, time, logger, restartAbovePages: 25_000) { } // ~100 MB of log

    /// <summary>Tests use a small <paramref name="restartAbovePages"/>.</summary>
    internal SqliteCheckpointer(SqliteDb db, TimeProvider time, ILogger<SqliteCheckpointer> logger, long restartAbovePages) =>
        (_db, _time, _logger, _restartAbovePages) = (db, time, logger, restartAbovePages);

    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(Interval, _time);
        while (await timer.WaitForNextTickAsync(stopping))
        {
            try { await CheckpointOnceAsync(stopping); }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _logger.LogWarning(e, "WAL checkpoint failed; trying again shortly");
            }
        }
    }

    internal async Task CheckpointOnceAsync(CancellationToken ct)
    {
        var (_, walPages, _) = await CheckpointAsync("PASSIVE", ct);
        if (walPages > _restartAbovePages) await _db.WithWriterTurnAsync(() => CheckpointAsync("RESTART", ct), ct);
    }

    private async Task<(long Busy, long WalPages, long Copied)> CheckpointAsync(string mode, CancellationToken ct)
    {
        await using var c = await _db.OpenAsync(ct);
        return await c.QuerySingleAsync<(long, long, long)>($"PRAGMA wal_checkpoint({mode});");
    }
}
