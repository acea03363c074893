using Dapper;

namespace Hookline.Storage.Sqlite;

/// <summary>
/// Moves the WAL into the database file in the background. SQLite's automatic checkpoint runs inside whichever commit
/// crosses the threshold, holding the one writer turn while it copies and fsyncs megabytes: every ingest request queued
/// behind it waited (the p99 latency spikes). A PASSIVE checkpoint on its own connection runs beside the writers instead.
/// Only when the WAL keeps growing anyway (readers pinning old frames) does it take the writer turn and restart the log.
/// </summary>
public sealed class SqliteCheckpointer(SqliteDb db, TimeProvider time, ILogger<SqliteCheckpointer> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);
    private const long RestartAbovePages = 50_000; // ~200 MB of WAL

    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(Interval, time);
        while (await timer.WaitForNextTickAsync(stopping))
        {
            try
            {
                var (_, walPages, copied) = await CheckpointAsync("PASSIVE", stopping);
                if (walPages > RestartAbovePages && copied < walPages) await db.WithWriterTurnAsync(() => CheckpointAsync("RESTART", stopping), stopping);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "WAL checkpoint failed; trying again shortly");
            }
        }
    }

    private async Task<(long Busy, long WalPages, long Copied)> CheckpointAsync(string mode, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.QuerySingleAsync<(long, long, long)>($"PRAGMA wal_checkpoint({mode});");
    }
}
