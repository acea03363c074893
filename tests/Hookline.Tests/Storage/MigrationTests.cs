using Dapper;
using Hookline.Storage;
using Hookline.Storage.Sqlite;
using Hookline.Tests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Hookline.Tests.Storage;

public sealed class MigrationTests : IDisposable
{
    private readonly TempDatabase _file = new();

    public void Dispose() => _file.Dispose();

    private SqliteDatabase Database() =>
        new(new SqliteDb(Options.Create(new DatabaseOptions { ConnectionString = $"Data Source={_file.Path}" })), TimeProvider.System);

    [Fact]
    public async Task TheFirstStartCreatesTheFileAndAppliesEveryMigrationInWalMode()
    {
        var result = await Database().MigrateAsync();

        Assert.True(File.Exists(_file.Path));
        Assert.Equal(0, result.From);
        Assert.Equal(Enumerable.Range(1, result.To), result.Applied);
        await using var c = new SqliteConnection($"Data Source={_file.Path}");
        Assert.Equal("wal", await c.ExecuteScalarAsync<string>("PRAGMA journal_mode;"));
        Assert.Equal(result.To, await c.ExecuteScalarAsync<int>("SELECT MAX(version) FROM schema_version;"));
        Assert.True(await Database().PingAsync());
    }

    [Fact]
    public async Task ASecondStartAppliesNothing()
    {
        var first = await Database().MigrateAsync();
        var second = await Database().MigrateAsync();
        Assert.Empty(second.Applied);
        Assert.Equal(first.To, second.From);
    }

    [Fact]
    public async Task StartsRacingOnOneFileApplyEachMigrationOnce()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => Database().MigrateAsync())));
        Assert.Equal(results[0].To, results.Sum(r => r.Applied.Count));
    }

    [Fact]
    public async Task ADatabaseFromANewerHooklineIsRefusedWithAClearMessage()
    {
        var current = await Database().MigrateAsync();
        await using (var c = new SqliteConnection($"Data Source={_file.Path};Pooling=False"))
            await c.ExecuteAsync("INSERT INTO schema_version (version, name, applied_on) VALUES (@V, 'future', 0);", new { V = current.To + 1 });

        var error = await Assert.ThrowsAsync<DatabaseTooNewException>(() => Database().MigrateAsync());
        Assert.Contains($"schema version {current.To + 1}", error.Message);
        Assert.Contains($"up to {current.To}", error.Message);
    }

    [Fact]
    public void APlainPathIsAcceptedAndItsFolderIsCreated()
    {
        var path = Path.Combine(_file.Folder, "nested", "deeper", "h.db");
        var db = new SqliteDb(Options.Create(new DatabaseOptions { ConnectionString = path }));
        Assert.Equal(path, db.FilePath);
        Assert.True(Directory.Exists(Path.GetDirectoryName(path)));
    }
}
