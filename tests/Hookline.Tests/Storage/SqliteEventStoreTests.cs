using Dapper;
using Hookline.Storage;
using Hookline.Storage.Sqlite;
using Hookline.Tests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Hookline.Tests.Storage;

/// <summary>
/// SQLite ingest commits without waiting for the disk and flushes the log afterwards, outside the writer turn: these
/// tests hold or fail that flush to show that no request is answered before it, and that one flush answers many.
/// </summary>
public sealed class SqliteEventStoreTests : IAsyncLifetime
{
    private readonly TempDatabase _file = new();
    private readonly SqliteDb _db;
    private readonly Guid _workspace = Guid.NewGuid();

    public SqliteEventStoreTests() => _db = new SqliteDb(Options.Create(new DatabaseOptions { ConnectionString = _file.Path }));

    public async Task InitializeAsync()
    {
        await new SqliteDatabase(_db, TimeProvider.System).MigrateAsync();
        await new TokenStore(_db, TimeProvider.System).EnsureWorkspaceAsync(_workspace, "w");
    }

    public Task DisposeAsync() { _file.Dispose(); return Task.CompletedTask; }

    private Task<IngestOutcome> Ingest(IEventStore store) => store.IngestAsync(
        [new NewEvent(Guid.NewGuid(), _workspace, "task_added", true, "{}", DateTimeOffset.UtcNow)], null, 3, _ => "ok");

    private async Task<long> CommittedEvents()
    {
        await using var c = await _db.OpenAsync();
        return await c.ExecuteScalarAsync<long>("SELECT count(*) FROM events;");
    }

    [Fact]
    public async Task ARequestIsAnsweredOnlyAfterTheFlushThatFollowsItsCommit()
    {
        var flushing = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var store = new EventStore(_db, async () =>
        {
            flushing.TrySetResult(await CommittedEvents()); // what the flush covers is already committed
            await release.Task;
        });

        var answer = Ingest(store);
        Assert.Equal(1, await flushing.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        await Task.Delay(200);
        Assert.False(answer.IsCompleted, "answered before the log was on disk");
        release.SetResult();
        Assert.Equal(IngestStatus.Accepted, (await answer.WaitAsync(TimeSpan.FromSeconds(10))).Status);
    }

    [Fact]
    public async Task OneFlushAnswersEveryGroupCommittedWhileThePreviousFlushRan()
    {
        var flushes = 0;
        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var store = new EventStore(_db, async () =>
        {
            if (Interlocked.Increment(ref flushes) == 1) { first.SetResult(); await release.Task; }
        });

        var held = Ingest(store);
        await first.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var later = new List<Task<IngestOutcome>>();
        for (var i = 0; i < 5; i++) later.Add(Ingest(store));
        await Eventually.TrueAsync(async () => await CommittedEvents() == 6, 10, "the later requests committed during the first flush");
        Assert.DoesNotContain(later.Prepend(held), t => t.IsCompleted);

        release.SetResult();
        Assert.All(await Task.WhenAll(later.Prepend(held)).WaitAsync(TimeSpan.FromSeconds(10)), o => Assert.Equal(IngestStatus.Accepted, o.Status));
        Assert.Equal(2, flushes);
    }

    [Fact]
    public async Task AFailedFlushFailsTheRequestsAsStorageTroubleAndLaterRequestsGoOn()
    {
        var fail = true;
        var store = new EventStore(_db, () => fail
            ? Task.FromException(new SqliteException("flush failed", SQLitePCL.raw.SQLITE_IOERR))
            : Task.CompletedTask);

        var e = await Assert.ThrowsAsync<SqliteException>(() => Ingest(store));
        Assert.True(Hookline.Api.StorageFailure.IsUnavailable(e)); // answered 503 with Retry-After, like a failed commit
        fail = false;
        Assert.Equal(IngestStatus.Accepted, (await Ingest(store)).Status);
    }

    [Fact]
    public async Task TheRealFlushFindsTheLogOrTheDatabaseFile()
    {
        var store = new EventStore(_db);
        Assert.Equal(IngestStatus.Accepted, (await Ingest(store)).Status);
        Assert.True(File.Exists(_file.Path + "-wal"));
        await _db.FlushAsync();

        using (var pooled = new SqliteConnection(_db.ConnectionString)) SqliteConnection.ClearPool(pooled); // the last connection closes: SQLite checkpoints and deletes the log
        Assert.False(File.Exists(_file.Path + "-wal"));
        await _db.FlushAsync(); // the database file instead, no error
        Assert.Equal(1, await CommittedEvents());
    }
}
