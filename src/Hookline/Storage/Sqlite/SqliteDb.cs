using Microsoft.Data.Sqlite;
using Microsoft.Win32.SafeHandles;
using Microsoft.Extensions.Options;

namespace Hookline.Storage.Sqlite;

/// <summary>Opens connections to the SQLite file, each set up the same way.</summary>
public sealed class SqliteDb
{
    // Columns are snake_case, row types PascalCase; set here so that every user of the store gets it, DI or not.
    static SqliteDb() => Dapper.DefaultTypeMap.MatchNamesWithUnderscores = true;

    public SqliteDb(IOptions<DatabaseOptions> options)
    {
        var text = options.Value.EffectiveConnectionString;
        var builder = new SqliteConnectionStringBuilder(text.Contains('=') ? text : $"Data Source={text}")
        {
            Pooling = true,
            DefaultTimeout = 30,
        };
        if (builder.DataSource is { Length: > 0 } file && file != ":memory:" && !file.StartsWith("file:", StringComparison.Ordinal))
        {
            builder.DataSource = Path.GetFullPath(file);
            Directory.CreateDirectory(Path.GetDirectoryName(builder.DataSource)!);
        }
        ConnectionString = builder.ToString();
        FilePath = builder.DataSource;
    }

    public string ConnectionString { get; }
    public string FilePath { get; }

    // One writer at a time in this process: SQLite allows one anyway, and waiting here is a queue, whereas
    // waiting in SQLite's busy handler is sleep-and-retry (1, 2, 5 … 100 ms), which wrecks latency under load.
    private readonly SemaphoreSlim _writer = new(1, 1);

    /// <summary>
    /// Opens a connection in a write (IMMEDIATE) transaction, holding this process's writer turn until disposed.
    /// <paramref name="durable"/> false commits without waiting for the disk: for writes that may be lost in a power cut
    /// because redoing them is harmless (a lease: the delivery is claimed again; a result: the delivery is sent again, at
    /// least once as always), or whose writer flushes the log itself (<see cref="SyncLogAsync"/>) before it answers, as
    /// ingest does. A crash of the process loses nothing either way; the next flush makes them durable too.
    /// </summary>
    public async Task<Writer> BeginWriteAsync(CancellationToken ct = default, bool durable = true)
    {
        await _writer.WaitAsync(ct);
        try
        {
            var connection = await OpenAsync(ct);
            if (!durable) await SetDurabilityAsync(connection, durable: false);
            return new Writer(connection, connection.BeginTransaction(deferred: false), _writer, durable);
        }
        catch
        {
            _writer.Release();
            throw;
        }
    }

    /// <summary>
    /// Non-durable: no fsync at commit. No connection checkpoints automatically (see <see cref="SqliteCheckpointer"/>),
    /// which matters here too: a checkpoint on a connection with synchronous OFF would not sync the database file
    /// before the WAL is reused, putting durable commits at risk.
    /// </summary>
    private static async Task SetDurabilityAsync(SqliteConnection connection, bool durable)
    {
        await using var pragma = connection.CreateCommand();
        pragma.CommandText = durable ? "PRAGMA synchronous = FULL;" : "PRAGMA synchronous = OFF;";
        await pragma.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// Flushes the write-ahead log to disk: afterwards every transaction committed before the call, durable or not, survives
    /// a power cut (Linux flushes a file's data whichever descriptor wrote it). Without a log file SQLite has moved
    /// everything into the database file, which is flushed instead; an in-memory database has nothing to flush.
    /// A failed flush is reported as SQLite's own I/O error, so that callers treat it like a failed commit.
    /// </summary>
    public Task SyncLogAsync() => Task.Run(() =>
    {
        if (FilePath is "" or ":memory:" || FilePath.StartsWith("file:", StringComparison.Ordinal)) return;
        try
        {
            SafeFileHandle file;
            try { file = File.OpenHandle(FilePath + "-wal", FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete); }
            catch (FileNotFoundException) { file = File.OpenHandle(FilePath, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete); }
            using (file) RandomAccess.FlushToDisk(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SqliteException($"Flushing the write-ahead log to disk failed: {e.Message}", SQLitePCL.raw.SQLITE_IOERR);
        }
    });

    /// <summary>Runs <paramref name="work"/> (no transaction) while no other write of this process can start.</summary>
    public async Task<T> WithWriterTurnAsync<T>(Func<Task<T>> work, CancellationToken ct = default)
    {
        await _writer.WaitAsync(ct);
        try { return await work(); }
        finally { _writer.Release(); }
    }

    public sealed class Writer(SqliteConnection connection, SqliteTransaction transaction, SemaphoreSlim turn, bool durable) : IAsyncDisposable
    {
        public SqliteConnection Connection => connection;
        public SqliteTransaction Transaction => transaction;
        public Task CommitAsync(CancellationToken ct = default) => transaction.CommitAsync(ct);

        public async ValueTask DisposeAsync()
        {
            // Each step runs even when the one before fails (a rollback on a full or vanished disk): the pooled connection goes
            // back durable, and the turn is given back, or every later write would wait for ever.
            try { await transaction.DisposeAsync(); }
            finally
            {
                try { if (!durable) await SetDurabilityAsync(connection, durable: true); }
                finally
                {
                    try { await connection.DisposeAsync(); }
                    finally { turn.Release(); }
                }
            }
        }
    }

    public async Task<SqliteConnection> OpenAsync(CancellationToken ct = default)
    {
        var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync(ct);
        // SQLite falls back to read-only when the file cannot be opened for writing (a read-only mount); such a handle stays
        // read-only for good, so it must not go back to the pool, or writes would keep failing after the disk is writable again.
        if (SQLitePCL.raw.sqlite3_db_readonly(connection.Handle, "main") == 1) SqliteConnection.ClearPool(connection);
        // Settings stick to the pooled native connection, so each one is set up once, not on every open.
        if (_configured.TryGetValue(connection.Handle!, out _)) return connection;
        await using var pragma = connection.CreateCommand();
        // FULL: a commit is on disk before we answer, so a 2xx survives a power cut, not only a crash. No commit checkpoints
        // (SqliteCheckpointer does, in the background); a 16 MB page cache keeps bulk ingest from rereading pages. Temporary
        // files in memory: the journals of savepoints and multi-row statements, which ingest writes for every page it
        // touches, went to files in /var/tmp at 4 to 10 times the bytes of the WAL itself.
        pragma.CommandText =
            "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 30000; " +
            "PRAGMA wal_autocheckpoint = 0; PRAGMA cache_size = -16000; PRAGMA temp_store = MEMORY;";
        await pragma.ExecuteNonQueryAsync(ct);
        _configured.AddOrUpdate(connection.Handle!, Configured);
        return connection;
    }

    private static readonly object Configured = new();
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<SQLitePCL.sqlite3, object> _configured = new();
}
