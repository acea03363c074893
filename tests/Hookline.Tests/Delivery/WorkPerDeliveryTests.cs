using System.Net.Http.Json;
using Hookline.Auth;
using Hookline.Storage;
using Hookline.Storage.Sqlite;
using Hookline.Tests.Support;
using Xunit.Abstractions;

namespace Hookline.Tests.Delivery;

/// <summary>
/// What one delivery costs the database, from the event's publishing to its result's record, for events published in
/// batches (the throughput workload's shape) and one request each (the latency workload's). On SQLite, as its own hooks count
/// it (<see cref="SqliteWork"/>): statements run, rows written and transactions committed; one writer does all of it whatever
/// the cores. On PostgreSQL (./test.sh's second pass), rows written as its statistics count them (statements and
/// transactions per delivery come from the bench, whose server loads pg_stat_statements). These are the two-core figures
/// that say whether a bigger machine could deliver more; each is held to the figure measured when the test was written,
/// with room for batches that form differently run to run.
/// </summary>
public sealed class WorkPerDeliveryTests(ITestOutputHelper output)
{
    private sealed record Cost(int Deliveries, double Statements, double Rows, double Commits)
    {
        public override string ToString() => double.IsNaN(Statements)
            ? $"{Deliveries} deliveries: {Rows:0.00} rows written per delivery"
            : $"{Deliveries} deliveries: {Statements:0.00} statements, {Rows:0.00} rows written, {Commits:0.00} commits per delivery";
    }

    [Fact]
    public async Task ADeliveryCostsNoMoreStatementsRowsOrCommitsThanWhenMeasured()
    {
        await using var receiver = await Receiver.StartAsync();
        // A receiver slow for a moment (a busy machine) would make its backlog wait parked, and each parked row is written twice
        // more: not the cost of a delivery, so nothing here counts as slow.
        using var app = new HooklineFactory(new()
        {
            ["Hookline:Delivery:AllowPrivateNetworks"] = "true",
            ["Hookline:Delivery:SlowAfter"] = "00:00:30",
        });
        Func<Task<Cost>> read = app.Postgres is null ? SqliteCounts(Assert.IsType<SqliteDb>(app.Service<SqlDb>()).Work) : () => PostgresCountsAsync(app);
        var workspace = Guid.NewGuid();
        await (await app.AdminAsync(workspace)).CreateWebhookAsync(Json.Form(uri: receiver.Url + "/ok"));
        var publisher = await app.ClientAsync(workspace, Permissions.EventsPublish);
        await DeliverAsync(app, receiver, 1, () => publisher.PublishAsync(TestEvents.Event())); // connections open, statements ready

        var start = await read();
        await DeliverAsync(app, receiver, 1_000, async () =>
        {
            for (var b = 0; b < 10; b++)
                (await publisher.PostAsJsonAsync("/api/v1/events/batch",
                    Enumerable.Range(0, 100).Select(n => TestEvents.Event(entityId: $"b{b}-{n}")))).EnsureSuccessStatusCode();
        });
        var between = await read();
        await DeliverAsync(app, receiver, 200, async () =>
        {
            for (var n = 0; n < 200; n++) await publisher.PublishAsync(TestEvents.Event(entityId: $"s{n}"));
        });
        var end = await read();
        var (batched, single) = (PerDelivery(start, between, 1_000), PerDelivery(between, end, 200));
        output.WriteLine($"published in batches of 100: {batched}");
        output.WriteLine($"published one a request:     {single}");

        // An event, its delivery and its queue row; the lease; the delivery's result, its log row, its queue row gone: 7.
        Assert.InRange(batched.Rows, 7, 7.05);
        Assert.InRange(single.Rows, 7, 7.05);
        if (app.Postgres is not null) return;
        // Measured when written: 5.22-5.32 statements and 0.03-0.04 commits in batches; 25.9-27.5 and 2.72-2.97 one a request
        // (BEGIN, COMMIT and the durability pragmas of the ingest's, the claim's and the result's writes; claims that find
        // nothing more in between, which a busy machine makes more of).
        Assert.InRange(batched.Statements, 5, 6.5);
        Assert.InRange(batched.Commits, 0.01, 0.1);
        Assert.InRange(single.Statements, 20, 34);
        Assert.InRange(single.Commits, 2, 3.5);
    }

    /// <summary>Publishes, then waits until the deliveries are all received and their results recorded.</summary>
    private static async Task DeliverAsync(HooklineFactory app, Receiver receiver, int deliveries, Func<Task> publish)
    {
        var expected = receiver.Count + deliveries;
        var logs = await app.ScalarAsync<long>("SELECT COUNT(*) FROM webhook_logs") + deliveries;
        await publish();
        await Eventually.TrueAsync(() => receiver.Count >= expected, 60, $"{deliveries} deliveries received");
        // Read on connections of the test's own, which the hooks do not count and which write nothing.
        await Eventually.TrueAsync(async () => await app.ScalarAsync<long>("SELECT COUNT(*) FROM webhook_logs") >= logs
            && await app.ScalarAsync<long>("SELECT COUNT(*) FROM delivery_queue") == 0, 60, "their results recorded");
        Assert.Equal(expected, receiver.Count);
    }

    private static Cost PerDelivery(Cost before, Cost after, int deliveries) => new(deliveries,
        (after.Statements - before.Statements) / deliveries, (after.Rows - before.Rows) / deliveries, (after.Commits - before.Commits) / deliveries);

    private static Func<Task<Cost>> SqliteCounts(SqliteWork work) => () => Task.FromResult(new Cost(0, work.Statements, work.RowsWritten, work.Commits));

    /// <summary>
    /// Rows inserted, updated and deleted in the database's tables, once every backend has published its counts: a busy one
    /// does at most once a second, an idle one within 10 s (PostgreSQL's own intervals). Not the rate limits' shared windows,
    /// which each node writes on a timer, not per request or delivery (2 rows every few seconds of the wait).
    /// </summary>
    private static async Task<Cost> PostgresCountsAsync(HooklineFactory app)
    {
        await Task.Delay(TimeSpan.FromSeconds(11));
        var rows = await app.ScalarAsync<long>(
            "SELECT CAST(COALESCE(SUM(n_tup_ins + n_tup_upd + n_tup_del), 0) AS bigint) FROM pg_stat_user_tables WHERE relname <> 'rate_windows'");
        return new(0, double.NaN, rows, double.NaN);
    }
}
