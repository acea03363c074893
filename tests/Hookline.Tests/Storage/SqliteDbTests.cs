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

    private static Task<int> Synchronous(SqliteDb.Writer w) =>
        w.Connection.ExecuteScalarAsync<int>("PRAGMA synchronous;", transaction: w.Transaction);

    [Fact]
    public async Task OnlyANonDurableWriteSkipsTheFsyncAndThePooledConnectionComesBackDurable()
    {
        await using (var lease = await _db.BeginWriteAsync(durable: false)) Assert.Equal(0, await Synchronous(lease)); // OFF
        // the pool hands the same native connection out again: it must be FULL (2) for everyone else
        for (var i = 0; i < 3; i++)
        {
            await using var write = await _db.BeginWriteAsync();
            Assert.Equal(2, await Synchronous(write));
        }
        await using var read = await _db.OpenAsync();
        Assert.Equal(2, await read.ExecuteScalarAsync<int>("PRAGMA synchronous;"));
    }
}
