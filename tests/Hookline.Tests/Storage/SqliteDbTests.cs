using System.Net.Http.Json;
using Dapper;
using Hookline.Storage;
using Hookline.Storage.Sqlite;
using Hookline.Tests.Support;
using Microsoft.Extensions.Options;

namespace Hookline.Tests.Storage;

// Alone: other test classes end with SqliteConnection.ClearAllPools(), which closes this file's idle connections too, and
// SQLite deletes the log when its last connection closes, which the checkpoint test reads.
[Collection(nameof(SqliteDbTests))]
public sealed class SqliteDbTests : IDisposable
{
    private readonly TempDatabase _file = new();
    private readonly SqliteDb _db;

    public SqliteDbTests() => _db = new SqliteDb(Options.Create(new DatabaseOptions { ConnectionString = $"Data Source={_file.Path}" }));

    public void Dispose() => _file.Dispose();

    private static async Task<(int Synchronous, int AutoCheckpoint)> Durability(SqlWrite w) =>
        (await w.Connection.ExecuteScalarAsync<int>("PRAGMA synchronous;", transaction: w.Transaction),
         await w.Connection.ExecuteScalarAsync<int>("PRAGMA wal_autocheckpoint;", transaction: w.Transaction));

    [Fact]
    public async Task ANonDurableWriteSkipsTheFsyncAndThePooledConnectionComesBackDurable()
    {
        // OFF (0); no connection checkpoints by itself (0): the background checkpointer does, on a durable connection
        await using (var lease = await _db.BeginWriteAsync(durable: false)) Assert.Equal((0, 0), await Durability(lease));
        // the pool hands the same native connection out again: FULL (2) for everyone else
        for (var i = 0; i < 3; i++)
        {
            await using var write = await _db.BeginWriteAsync();
            Assert.Equal((2, 0), await Durability(write));
        }
        await using var read = await _db.OpenAsync();
        Assert.Equal(2, await read.ExecuteScalarAsync<int>("PRAGMA synchronous;"));
    }

    [Fact]
    public async Task SavepointAndStatementJournalsStayInMemoryNotInTemporaryFiles()
    {
        // 2 = MEMORY: ingest's savepoints journal every page they touch; in files that was 4-10 × the WAL's bytes
        await using (var write = await _db.BeginWriteAsync(durable: false))
            Assert.Equal(2, await write.Connection.ExecuteScalarAsync<int>("PRAGMA temp_store;", transaction: write.Transaction));
        await using var read = await _db.OpenAsync();
        Assert.Equal(2, await read.ExecuteScalarAsync<int>("PRAGMA temp_store;"));
    }

    [Fact]
    public async Task TheBackgroundCheckpointerMovesCommittedWritesIntoTheDatabaseFile()
    {
        if (Environment.GetEnvironmentVariable(HooklineFactory.StoreVariable) == "postgres") return; // SQLite only
        using var app = new HooklineFactory();
        var workspace = Guid.NewGuid();
        var client = await app.ClientAsync(workspace, Hookline.Auth.Permissions.EventsPublish);
        var before = new FileInfo(app.Database.Path).Length;
        for (var i = 0; i < 4; i++)
        {
            var ok = await client.PostAsJsonAsync("/api/v1/events/batch", Enumerable.Range(0, 500).Select(_ => TestEvents.Event()).ToArray());
            Assert.Equal(System.Net.HttpStatusCode.Accepted, ok.StatusCode);
        }
        // commits only append to the WAL; the file grows only when a checkpoint copies them in
        await Eventually.TrueAsync(() => new FileInfo(app.Database.Path).Length > before + 1_000_000, 20, "a checkpoint");
    }

    [Fact]
    public async Task ACheckpointPastTheLimitStartsTheLogOverEvenWhenWritesArriveDuringIt()
    {
        // Under steady writes a PASSIVE checkpoint copies the whole log, but a write that began meanwhile adds to it, so
        // no write ever begins with the log fully copied and SQLite never starts it over (1.8 GB under a backlog).
        // Played out in order here: the checkpointer must then start the log over itself.
        await using (var c = await _db.OpenAsync()) await c.ExecuteAsync("PRAGMA journal_mode = WAL; CREATE TABLE t (b BLOB);");
        async Task WriteAsync(SqlWrite w, int bytes)
        {
            await w.Connection.ExecuteAsync("INSERT INTO t (b) VALUES (randomblob(@bytes));", new { bytes }, w.Transaction);
            await w.CommitAsync();
        }
        for (var i = 0; i < 8; i++)
            await using (var w = await _db.BeginWriteAsync()) await WriteAsync(w, 256 << 10); // 2 MB of log
        // the WAL header's checkpoint sequence number (bytes 12-15, big-endian) goes up each time the log starts over
        uint StartedOver() => System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(File.ReadAllBytes(_file.Path + "-wal").AsSpan(12, 4));
        var before = StartedOver();
        var checkpointer = new SqliteCheckpointer(_db, TimeProvider.System,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<SqliteCheckpointer>.Instance, restartAbovePages: 256); // 1 MB

        Task tick;
        await using (var during = await _db.BeginWriteAsync()) // a write that began before the checkpoint
        {
            tick = checkpointer.CheckpointOnceAsync(CancellationToken.None);
            await Eventually.TrueAsync(() => Task.FromResult(new FileInfo(_file.Path).Length > 2 << 20), 20, "the PASSIVE copy");
            await WriteAsync(during, 64 << 10); // adds to the log after the copy
        }
        await tick.WaitAsync(TimeSpan.FromSeconds(20));
        await using (var next = await _db.BeginWriteAsync()) await WriteAsync(next, 1024);

        Assert.Equal(before + 1, StartedOver());
    }
}

[CollectionDefinition(nameof(SqliteDbTests), DisableParallelization = true)]
public sealed class SqliteDbTestsRunAlone;
