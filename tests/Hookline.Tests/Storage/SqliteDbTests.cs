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
    public async Task ANonDurableWriteSkipsFsyncAndCheckpointsAndThePooledConnectionComesBackDurable()
    {
        // OFF (0), and no checkpoint: one on an unsynced connection could reuse the WAL before the database file is on disk
        await using (var lease = await _db.BeginWriteAsync(durable: false)) Assert.Equal((0, 0), await Durability(lease));
        // the pool hands the same native connection out again: FULL (2) and checkpoints again, for everyone else
        for (var i = 0; i < 3; i++)
        {
            await using var write = await _db.BeginWriteAsync();
            Assert.Equal((2, 10_000), await Durability(write));
        }
        await using var read = await _db.OpenAsync();
        Assert.Equal(2, await read.ExecuteScalarAsync<int>("PRAGMA synchronous;"));
    }
}
