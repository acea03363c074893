using System.Net.Http.Json;
using Dapper;
using Hookline.Storage;
using Hookline.Storage.Sqlite;
using Hookline.Tests.Support;
using Microsoft.Extensions.Options;

namespace Hookline.Tests.Storage;

public sealed class SqliteDbTests : IDisposable
{
    private readonly TempDatabase _file = new();
    private readonly SqliteDb _db;

    public SqliteDbTests() => _db = new SqliteDb(Options.Create(new DatabaseOptions { ConnectionString = $"Data Source={_file.Path}" }));

    public void Dispose() => _file.Dispose();

    private static async Task<(int Synchronous, int AutoCheckpoint)> Durability(SqliteDb.Writer w) =>
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
    public async Task UnderSteadyWritesTheCheckpointerStartsTheLogOverInsteadOfLettingItGrow()
    {
        await using (var c = await _db.OpenAsync()) await c.ExecuteAsync("PRAGMA journal_mode = WAL; CREATE TABLE t (b BLOB);");
        const long restartAbove = 256; // pages: 1 MB
        var checkpointer = new SqliteCheckpointer(_db, TimeProvider.System,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<SqliteCheckpointer>.Instance, restartAbove);
        await checkpointer.StartAsync(CancellationToken.None);
        long largest = 0;
        try
        {
            // 64 KB commits one after the other: a PASSIVE checkpoint never finds the log fully copied, so SQLite alone
            // would never start it over (it grew to 1.8 GB this way under a backlog)
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromSeconds(4))
            {
                await using (var w = await _db.BeginWriteAsync(durable: false))
                {
                    await w.Connection.ExecuteAsync("INSERT INTO t (b) VALUES (randomblob(65536));", transaction: w.Transaction);
                    await w.CommitAsync();
                }
                largest = Math.Max(largest, new FileInfo(_file.Path + "-wal").Length);
                await Task.Delay(2);
            }
        }
        finally { await checkpointer.StopAsync(CancellationToken.None); }
        await using var read = await _db.OpenAsync();
        var written = await read.ExecuteScalarAsync<long>("SELECT count(*) FROM t;") * 65536;
        Assert.True(written > 20 << 20, $"only {written >> 20} MB written; the test needs steady writes");
        // started over once past 1 MB, looked at every 500 ms: the log stays a fraction of what was written through it
        Assert.True(largest < written / 3, $"the WAL reached {largest >> 20} MB of {written >> 20} MB written");
    }
}
