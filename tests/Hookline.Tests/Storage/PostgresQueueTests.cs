using Hookline.Delivery;
using Hookline.Storage;
using Hookline.Storage.Postgres;
using Hookline.Tests.Support;

namespace Hookline.Tests.Storage;

/// <summary>PostgreSQL's queue upkeep: the node vacuums the queue table itself, long before autovacuum would come by.</summary>
public sealed class PostgresQueueTests : IDisposable
{
    private readonly StoreSet _stores = StoreSet.Postgres();

    public void Dispose() => _stores.Dispose();

    [PostgresFact]
    public async Task RecordingAFewThousandAttemptsVacuumsTheQueueSoItsDeadRowsDoNotSlowTheClaim()
    {
        await _stores.Schema.MigrateAsync();
        var (workspace, at) = (Guid.NewGuid(), DateTimeOffset.UtcNow);
        await _stores.Tokens.EnsureWorkspaceAsync(workspace, "w");
        await _stores.Webhooks.InsertAsync(new Webhook(Guid.NewGuid(), workspace, "h", "https://r.example/h", null, "task_added", true,
            false, "none", null, "custom", null, at, Guid.NewGuid(), at, Guid.NewGuid()), Signing.NewSecret());
        await _stores.Events.IngestAsync(Enumerable.Range(0, PostgresDb.VacuumAfter)
            .Select(_ => new NewEvent(Guid.NewGuid(), workspace, "task_added", true, "{}", at)).ToList(), null, 3, _ => "");
        Assert.Equal(0, await Vacuums());

        for (var recorded = 0; recorded < PostgresDb.VacuumAfter;)
        {
            var claimed = await _stores.Deliveries.ClaimAsync(1000, at, TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(1), "n1");
            recorded += await _stores.Deliveries.CompleteAsync(
                claimed.Select(d => new AttemptResult(d, true, 200, null, "{}", null, 5, at, null, null)).ToList(), 5, "n1");
        }

        await Eventually.TrueAsync(async () => await Vacuums() == 1, 10, "the queue to be vacuumed");
    }

    [PostgresFact]
    public async Task ClaimsAndResultsArePlannedWithoutSequentialScansWhateverTheQueuesStatisticsSay()
    {
        await using (var queue = await _stores.Db.BeginWriteAsync(durable: false))
            Assert.Equal("off", await Dapper.SqlMapper.ExecuteScalarAsync<string>(queue.Connection, "SHOW enable_seqscan;", transaction: queue.Transaction));
        await using (var other = await _stores.Db.BeginWriteAsync())
            Assert.Equal("on", await Dapper.SqlMapper.ExecuteScalarAsync<string>(other.Connection, "SHOW enable_seqscan;", transaction: other.Transaction));
    }

    private Task<long> Vacuums() =>
        _stores.Scalar<long>("SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = 'delivery_queue';");
}
