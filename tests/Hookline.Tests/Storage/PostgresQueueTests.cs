using Hookline.Delivery;
using Hookline.Storage;
using Hookline.Storage.Postgres;
using Hookline.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hookline.Tests.Storage;

/// <summary>PostgreSQL's queue upkeep: the node vacuums the queue table itself, long before autovacuum would come by.</summary>
public sealed class PostgresQueueTests : IDisposable
{
    private readonly StoreSet _stores = StoreSet.Postgres();

    public void Dispose() => _stores.Dispose();

    [PostgresFact]
    public async Task RecordingAFewThousandAttemptsVacuumsTheQueueSoItsDeadRowsDoNotSlowTheClaim()
    {
        var (workspace, _, at) = await WebhookAsync();
        await QueueAsync(workspace, at, PostgresDb.VacuumAfter);
        Assert.Equal(0, await Vacuums());

        for (var recorded = 0; recorded < PostgresDb.VacuumAfter;)
        {
            var claimed = (await _stores.Deliveries.ClaimAsync(1000, at, TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(1), "n1")).Deliveries;
            recorded += await _stores.Deliveries.CompleteAsync(
                claimed.Select(d => new AttemptResult(d, true, 200, null, "{}", null, 5, at, null, null)).ToList(), 5, "n1");
        }

        await Eventually.TrueAsync(async () => await Vacuums() == 1, 10, "the queue to be vacuumed");
        // Drained, but its pages stay: giving them back locked every claim, ingest and result out while the vacuum checked them.
        Assert.True(await _stores.Scalar<long>("SELECT pg_relation_size('delivery_queue');") > 0, "the vacuum gave the queue's pages back");
    }

    [PostgresFact]
    public async Task ParkingABacklogPassesByTheQueueRowsAnotherTransactionHoldsInsteadOfWaitingForIt()
    {
        // Beside it, a claim parks what it took beyond a troubled webhook's room: they updated some rows in the other's order,
        // and each waited for the other until the deadlock detector stepped in a second later, with every claim stopped.
        var (workspace, webhook, at) = await WebhookAsync();
        await QueueAsync(workspace, at, 10);
        var now = DateTimeOffset.UtcNow.AddSeconds(5);
        await using (var other = await _stores.Db.BeginWriteAsync())
        {
            await Dapper.SqlMapper.ExecuteAsync(other.Connection,
                "SELECT delivery_id FROM delivery_queue ORDER BY delivery_id LIMIT 3 FOR UPDATE;", transaction: other.Transaction);
            Assert.Equal(7, await _stores.Deliveries.ParkAsync(webhook, now).WaitAsync(TimeSpan.FromSeconds(10)));
            await other.CommitAsync();
        }
        Assert.Equal(3, await _stores.Deliveries.ParkAsync(webhook, now));
    }

    [PostgresFact]
    public async Task ParkingLettingGoAndCancellingReachTheirRowsByKeyNotByHashingTheWholeTable()
    {
        // An IN over a subquery was planned as a hash of every queue (or delivery) row: a backlog's parking pass took 33 ms
        // beside 20,000 queued on two busy cores, a paused queue's part of 500 cancellations 14 ms.
        var (workspace, webhook, at) = await WebhookAsync();
        await QueueAsync(workspace, at, 3000);
        var d = _stores.Db.Dialect;
        var args = new { WebhookId = webhook, Until = at.AddMinutes(5), Now = at, Count = 100, Ids = d.Values(new long[] { 1, 2, 3 }), At = at };
        await using var queue = await _stores.Db.BeginWriteAsync(durable: false);
        await Dapper.SqlMapper.ExecuteAsync(queue.Connection, "ANALYZE delivery_queue; ANALYZE deliveries;", transaction: queue.Transaction);
        var limits = new DeliveryLimits(d);
        foreach (var statement in new[] { limits.ParkBacklog, limits.LetGo }.Concat(ResultSteps.CancelSome(d).Split(';')[..2]))
        {
            var plan = await Dapper.SqlMapper.ExecuteScalarAsync<string>(queue.Connection, "EXPLAIN (FORMAT JSON) " + statement, args, queue.Transaction);
            Assert.DoesNotContain("\"Hash", plan);
            Assert.DoesNotContain("\"Seq Scan\"", plan);
        }
    }

    [PostgresFact]
    public async Task AWebhookDeletedWhileItsResultsAreRecordedLocksTheQueueBeforeTheDeliveriesAsTheResultsDo()
    {
        // Recording results locks a delivery's queue row, then its record. Deleting the webhook took the record first and
        // then waited for the queue row: each waited for the other until the deadlock detector ended one, and the delete
        // answered 503 (ContentionTests' churn on PostgreSQL, three runs in three).
        var (workspace, webhook, at) = await WebhookAsync();
        await QueueAsync(workspace, at, 1);
        var inFlight = Assert.Single((await _stores.Deliveries.ClaimAsync(10, at, TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(1), "n1")).Deliveries);
        await using var results = await _stores.Db.BeginWriteAsync(durable: false);
        await Dapper.SqlMapper.ExecuteAsync(results.Connection, "SELECT 1 FROM delivery_queue WHERE delivery_id = @Id FOR UPDATE;",
            new { inFlight.Id }, results.Transaction); // the queue row first, as the results statement takes it
        var delete = _stores.Webhooks.DeleteAsync(workspace, webhook);
        await Eventually.TrueAsync(async () => await _stores.Scalar<long>(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'") == 1, 10, "the delete to wait");
        await Dapper.SqlMapper.ExecuteAsync(results.Connection, "UPDATE deliveries SET attempts = attempts + 1 WHERE id = @Id;",
            new { inFlight.Id }, results.Transaction).WaitAsync(TimeSpan.FromSeconds(10)); // then the record
        await results.CommitAsync();

        Assert.True(await delete.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(DeliveryStatus.Cancelled, (await _stores.Deliveries.GetAsync(inFlight.Id))!.Status);
    }

    [PostgresFact]
    public async Task QueuingAFewThousandDeliveriesAnalysesTheQueueSoThePlannerKnowsItsSize()
    {
        // Statistics taken while the queue was nearly empty made PostgreSQL reach a batch of results along the due index,
        // all of it for each result, as if it were one page (see PostgresDb.Queued).
        var (workspace, _, at) = await WebhookAsync();
        await QueueAsync(workspace, at, PostgresDb.VacuumAfter - 1);
        await Task.Delay(500);
        Assert.Equal(0, await _stores.Scalar<long>("SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'delivery_queue';"));

        await QueueAsync(workspace, at, 1);
        await Eventually.TrueAsync(async () => await _stores.Scalar<long>(
            "SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'delivery_queue';") == 1, 10, "the queue to be analysed");
        Assert.Equal(PostgresDb.VacuumAfter, (int)await _stores.Scalar<float>("SELECT reltuples FROM pg_class WHERE relname = 'delivery_queue';"));
    }

    [PostgresFact]
    public async Task OnlyTheQueuesOwnSessionsPlanWithoutSequentialScansSortsOrBitmapsAndNoSessionCompilesStatements()
    {
        // The queue's statistics are often wrong for the moment (see PostgresDb): with them, claims were planned as a scan of
        // the whole queue, then as a bitmap scan and sort of every due row (~48,000 buffers a claim, throughput 12.6k → 1.6k).
        const string Show = "SELECT current_setting('enable_seqscan') || current_setting('enable_sort') || current_setting('enable_bitmapscan') " +
            "|| ' jit ' || current_setting('jit');";
        await using (var queue = await _stores.Db.BeginWriteAsync(durable: false))
        {
            Assert.Equal("offoffoff jit off", await Dapper.SqlMapper.ExecuteScalarAsync<string>(queue.Connection, Show, transaction: queue.Transaction));
            Assert.Equal("2ms", await Dapper.SqlMapper.ExecuteScalarAsync<string>(queue.Connection, // its vacuums' pace
                "SELECT current_setting('vacuum_cost_delay');", transaction: queue.Transaction));
        }
        await using (var other = await _stores.Db.BeginWriteAsync())
            Assert.Equal("ononon jit off", await Dapper.SqlMapper.ExecuteScalarAsync<string>(other.Connection, Show, transaction: other.Transaction));
    }

    [PostgresFact]
    public async Task TheQueuesClaimsAndResultsArePlannedOnceASessionNotOnEveryCall()
    {
        // With the queue's planner costs PostgreSQL judged a custom plan cheaper every time, so the claim that passes a troubled
        // webhook by, the results and their reads were planned on each call: 0.5 ms a plan (PostgresDb).
        var (workspace, _, at) = await WebhookAsync();
        using var db = AnotherNode(((PostgresDb)_stores.Db).ConnectionString + ";Maximum Pool Size=1"); // one queue session to look at
        var deliveries = new DeliveryStore(db);
        var troubled = new Dictionary<Guid, int> { [Guid.NewGuid()] = 0 }; // a webhook without room: the claim passes it by
        for (var i = 0; i < 12; i++)
        {
            await QueueAsync(workspace, at, 1);
            var claimed = (await deliveries.ClaimAsync(10, at.AddSeconds(1), TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(1), "n1", troubled)).Deliveries;
            Assert.Single(claimed);
            Assert.Equal(1, await deliveries.CompleteAsync([new AttemptResult(claimed[0], true, 200, null, "{}", null, 5, at, null, null)], 5, "n1"));
        }

        await using var queue = await db.BeginWriteAsync(durable: false);
        var plans = (await Dapper.SqlMapper.QueryAsync<(string Statement, long Generic, long Custom)>(queue.Connection,
            "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements;", transaction: queue.Transaction)).ToList();
        foreach (var statement in new[] { "picked AS MATERIALIZED", "WITH r AS", "alerts_due <> 0", "SELECT l.id FROM webhook_logs" })
        {
            var prepared = plans.Where(p => p.Statement.Contains(statement)).ToList();
            Assert.True(prepared.Count > 0, $"'{statement}' was not prepared");
            Assert.All(prepared, p => Assert.True(p.Custom == 0 && p.Generic > 0, $"'{statement}': {p.Custom} custom plans, {p.Generic} generic"));
        }
    }

    [PostgresFact]
    public async Task TheQueuesSessionsSortWithoutJitCompilingTheStatement()
    {
        // With sorts disabled a sort costs 10^10 to the planner, past every JIT threshold: PostgreSQL then compiled the
        // secrets lookup of each claim (ORDER BY, a row or two) with LLVM, 50-90 ms a call, where LLVM is installed.
        await using var queue = await _stores.Db.BeginWriteAsync(durable: false);
        var plan = await Dapper.SqlMapper.ExecuteScalarAsync<string>(queue.Connection,
            "EXPLAIN (ANALYZE, FORMAT JSON) SELECT g FROM generate_series(1, 3) g ORDER BY g DESC;", transaction: queue.Transaction);
        Assert.Contains("\"Sort\"", plan);
        Assert.DoesNotContain("\"JIT\"", plan);
    }

    [PostgresFact]
    public async Task ANodeIsWokenByAnotherNodesCommitsButNotByItsOwn()
    {
        // Its own workers are told in process; its own NOTIFY echoed back was a claim that found nothing, per commit. The other
        // node listens too, or neither would send a NOTIFY at all.
        await _stores.Schema.MigrateAsync();
        var db = (PostgresDb)_stores.Db;
        var (signal, otherSignal) = (new DeliverySignal(), new DeliverySignal());
        using var other = AnotherNode(db.ConnectionString);
        using var otherListener = new PostgresWakeListener(other, otherSignal, NullLogger<PostgresWakeListener>.Instance);
        using var listener = new PostgresWakeListener(db, signal, NullLogger<PostgresWakeListener>.Instance);
        await otherListener.StartAsync(CancellationToken.None);
        await listener.StartAsync(CancellationToken.None);
        Assert.True(await Woken(signal, TimeSpan.FromSeconds(10)), "the listener's own signal once it listens");
        Assert.True(await Woken(otherSignal, TimeSpan.FromSeconds(10)), "the other listener's own signal once it listens");
        await Eventually.TrueAsync(() => Task.FromResult(db.OthersListen && other.OthersListen), 10, "each node to see the other's listener");

        db.Wake();
        Assert.True(await Woken(otherSignal, TimeSpan.FromSeconds(10)), "the NOTIFY was not sent");
        Assert.False(await Woken(signal, TimeSpan.FromSeconds(2)), "woken by its own NOTIFY");
        other.Wake();
        Assert.True(await Woken(signal, TimeSpan.FromSeconds(10)), "not woken by the other node's NOTIFY");
        await listener.StopAsync(CancellationToken.None);
        await otherListener.StopAsync(CancellationToken.None);
    }

    [PostgresFact]
    public async Task ANodeAloneSendsNoNotifyUntilAnotherNodeListens()
    {
        // Alone, each commit's NOTIFY reached only the node's own listener, which ignores it: a transaction and two wake-ups a
        // commit for nothing.
        await _stores.Schema.MigrateAsync();
        var db = (PostgresDb)_stores.Db;
        var settings = new Npgsql.NpgsqlConnectionStringBuilder(db.ConnectionString) { Pooling = false, ApplicationName = "observer" };
        await using var observer = new Npgsql.NpgsqlConnection(settings.ConnectionString); // not a node: it does not count
        await observer.OpenAsync();
        var heard = 0;
        observer.Notification += (_, _) => Interlocked.Increment(ref heard);
        await Dapper.SqlMapper.ExecuteAsync(observer, $"LISTEN {PostgresDb.WakeChannel};");
        using var listener = new PostgresWakeListener(db, new DeliverySignal(), NullLogger<PostgresWakeListener>.Instance);
        await listener.StartAsync(CancellationToken.None);
        await Eventually.TrueAsync(() => Task.FromResult(!db.OthersListen), 10, "the node to see that nobody else listens");

        db.Wake();
        await observer.WaitAsync(TimeSpan.FromSeconds(2));
        Assert.Equal(0, Volatile.Read(ref heard));

        using var other = AnotherNode(db.ConnectionString);
        var otherSignal = new DeliverySignal();
        using var otherListener = new PostgresWakeListener(other, otherSignal, NullLogger<PostgresWakeListener>.Instance);
        await otherListener.StartAsync(CancellationToken.None);
        await Eventually.TrueAsync(() => Task.FromResult(db.OthersListen), 10, "the node to see the other node's listener");
        Assert.True(await Woken(otherSignal, TimeSpan.FromSeconds(10)), "the other listener's own signal once it listens");
        db.Wake();
        Assert.True(await Woken(otherSignal, TimeSpan.FromSeconds(10)), "the other node was not woken");
        await Eventually.TrueAsync(async () => { await observer.WaitAsync(TimeSpan.FromMilliseconds(100)); return Volatile.Read(ref heard) > 0; },
            10, "the NOTIFY");

        await otherListener.StopAsync(CancellationToken.None);
        await Eventually.TrueAsync(() => Task.FromResult(!db.OthersListen), 10, "the node to see the other node gone");
        await listener.StopAsync(CancellationToken.None);
    }

    /// <summary>Another node's database access, on the same database.</summary>
    private static PostgresDb AnotherNode(string connectionString) =>
        new(Microsoft.Extensions.Options.Options.Create(new DatabaseOptions { Provider = "postgres", ConnectionString = connectionString }));

    /// <summary>Whether <paramref name="signal"/> was notified well within <paramref name="within"/>.</summary>
    private static async Task<bool> Woken(DeliverySignal signal, TimeSpan within)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await signal.WaitAsync(within, TimeProvider.System, CancellationToken.None);
        return clock.Elapsed < within * 0.9;
    }

    /// <summary>A migrated database with one workspace and one webhook for task_added.</summary>
    private async Task<(Guid Workspace, Guid Webhook, DateTimeOffset At)> WebhookAsync()
    {
        await _stores.Schema.MigrateAsync();
        var (workspace, webhook, at) = (Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow);
        await _stores.Tokens.EnsureWorkspaceAsync(workspace, "w");
        await _stores.Webhooks.InsertAsync(new Webhook(webhook, workspace, "h", "https://r.example/h", null, "task_added", true,
            false, "none", null, "custom", null, at, Guid.NewGuid(), at, Guid.NewGuid()), Signing.NewSecret());
        return (workspace, webhook, at);
    }

    /// <summary>Publishes <paramref name="count"/> task_added events in the workspace: a delivery each for its webhook.</summary>
    private Task QueueAsync(Guid workspace, DateTimeOffset at, int count) =>
        _stores.Events.IngestAsync(Enumerable.Range(0, count)
            .Select(_ => new NewEvent(Guid.NewGuid(), workspace, "task_added", true, "{}", at)).ToList(), null, 3, _ => "");

    private Task<long> Vacuums() =>
        _stores.Scalar<long>("SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = 'delivery_queue';");
}
