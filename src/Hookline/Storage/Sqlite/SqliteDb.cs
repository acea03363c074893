using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.Win32.SafeHandles;
using Microsoft.Extensions.Options;

namespace Hookline.Storage.Sqlite;

/// <summary>Opens connections to the SQLite file, each set up the same way; one writer at a time.</summary>
public sealed class SqliteDb : SqlDb
{
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

    /// <summary>Statements, rows written and commits of every connection this process opened to the file.</summary>
    public SqliteWork Work { get; } = new();
    public override SqlDialect Dialect => SqliteDialect.Instance;
    public override bool FlushesSeparately => true;
    public override int IngestWriters => 1;

    // One writer at a time in this process: SQLite allows one anyway, and waiting here is a queue, whereas
    // waiting in SQLite's busy handler is sleep-and-retry (1, 2, 5 … 100 ms), which wrecks latency under load.
    private readonly SemaphoreSlim _writer = new(1, 1);

    /// <summary>A write (IMMEDIATE) transaction holding this process's writer turn until disposed.</summary>
    public override async Task<SqlWrite> BeginWriteAsync(CancellationToken ct = default, bool durable = true)
    {
        await _writer.WaitAsync(ct);
        try
        {
            var connection = await OpenSqliteAsync(ct);
            if (!durable) await SetDurabilityAsync(connection, durable: false);
            var transaction = connection.BeginTransaction(deferred: false);
            return new SqlWrite(connection, transaction, () => EndWriteAsync(connection, transaction, durable));
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
    public override Task FlushAsync() => Task.Run(() =>
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

    private async ValueTask EndWriteAsync(SqliteConnection connection, SqliteTransaction transaction, bool durable)
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
                finally { _writer.Release(); }
            }
        }
    }

    /// <summary>The plaintext would linger in freed page space and in the WAL: rebuild the file and empty the WAL.</summary>
    public override async Task ForgetOverwrittenAsync(CancellationToken ct)
    {
        await using var c = await OpenSqliteAsync(ct);
        await using var vacuum = c.CreateCommand();
        vacuum.CommandText = "VACUUM; PRAGMA wal_checkpoint(TRUNCATE);";
        await vacuum.ExecuteNonQueryAsync(ct);
    }

    public override async Task<DbConnection> OpenAsync(CancellationToken ct = default) => await OpenSqliteAsync(ct);

    public async Task<SqliteConnection> OpenSqliteAsync(CancellationToken ct = default)
    {
        var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync(ct);
        // SQLite falls back to read-only when the file cannot be opened for writing (a read-only mount); such a handle stays
        // read-only for good, so it must not go back to the pool, or writes would keep failing after the disk is writable again.
        if (SQLitePCL.raw.sqlite3_db_readonly(connection.Handle, "main") == 1) SqliteConnection.ClearPool(connection);
        SqliteDialect.RegisterFunctions(connection); // a connection's functions go when it is closed, pooled or not
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
        Work.Watch(connection.Handle!);
        _configured.AddOrUpdate(connection.Handle!, Configured);
        return connection;
    }

    private static readonly object Configured = new();
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<SQLitePCL.sqlite3, object> _configured = new();
}
