using System.Net.Http.Json;
using Hookline.Auth;
using Hookline.Storage;
using Hookline.Storage.Sqlite;
using Hookline.Tests.Support;
using Xunit.Abstractions;

namespace Hookline.Tests.Delivery;

/// <summary>
/// What one delivery costs a node's SQLite file, as SQLite's own hooks count it (<see cref="SqliteWork"/>): statements run,
/// rows written and transactions committed, from the event's publishing to its result's record, for events published in
/// batches (the throughput workload's shape) and one request each (the latency workload's). One writer does all of it
/// whatever the cores, so these are the two-core figures that say whether a bigger machine could deliver more. Each is held
/// to the figure measured when the test was written, with room for batches that form differently run to run.
/// </summary>
public sealed class WorkPerDeliveryTests(ITestOutputHelper output)
{
    private sealed record Cost(int Deliveries, double Statements, double Rows, double Commits)
    {
        public override string ToString() =>
            $"{Deliveries} deliveries: {Statements:0.00} statements, {Rows:0.00} rows written, {Commits:0.00} commits per delivery";
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
        var work = Assert.IsType<SqliteDb>(app.Service<SqlDb>()).Work; // SQLite's figures: PostgreSQL's come from the bench
        var workspace = Guid.NewGuid();
        await (await app.AdminAsync(workspace)).CreateWebhookAsync(Json.Form(uri: receiver.Url + "/ok"));
        var publisher = await app.ClientAsync(workspace, Permissions.EventsPublish);
        await MeasureAsync(app, work, receiver, 1, () => publisher.PublishAsync(TestEvents.Event())); // connections open, statements ready

        var batched = await MeasureAsync(app, work, receiver, 1_000, async () =>
        {
            for (var b = 0; b < 10; b++)
                (await publisher.PostAsJsonAsync("/api/v1/events/batch",
                    Enumerable.Range(0, 100).Select(n => TestEvents.Event(entityId: $"b{b}-{n}")))).EnsureSuccessStatusCode();
        });
        var single = await MeasureAsync(app, work, receiver, 200, async () =>
        {
            for (var n = 0; n < 200; n++) await publisher.PublishAsync(TestEvents.Event(entityId: $"s{n}"));
        });
        output.WriteLine($"published in batches of 100: {batched}");
        output.WriteLine($"published one a request:     {single}");

        // An event, its delivery and its queue row; the lease; the delivery's result, its log row, its queue row gone: 7.
        Assert.InRange(batched.Rows, 7, 7.05);
        Assert.InRange(single.Rows, 7, 7.05);
        // Measured when written: 5.24-5.28 statements and 0.03-0.04 commits in batches; 26.3-27.3 and 2.77-2.92 one a request
        // (BEGIN, COMMIT and the durability pragmas of the ingest's, the claim's and the result's writes; claims that find
        // nothing more in between, which a busy machine makes more of).
        Assert.InRange(batched.Statements, 5, 6.5);
        Assert.InRange(batched.Commits, 0.01, 0.1);
        Assert.InRange(single.Statements, 20, 34);
        Assert.InRange(single.Commits, 2, 3.5);
    }

    /// <summary>The work counted from before <paramref name="publish"/> until its deliveries are all received and recorded.</summary>
    private static async Task<Cost> MeasureAsync(HooklineFactory app, SqliteWork work, Receiver receiver, int deliveries, Func<Task> publish)
    {
        var expected = receiver.Count + deliveries;
        var logs = await app.ScalarAsync<long>("SELECT COUNT(*) FROM webhook_logs") + deliveries;
        var (statements, rows, commits) = (work.Statements, work.RowsWritten, work.Commits);
        await publish();
        await Eventually.TrueAsync(() => receiver.Count >= expected, 60, $"{deliveries} deliveries received");
        // Read on connections of the test's own, which the hooks do not count.
        await Eventually.TrueAsync(async () => await app.ScalarAsync<long>("SELECT COUNT(*) FROM webhook_logs") >= logs
            && await app.ScalarAsync<long>("SELECT COUNT(*) FROM delivery_queue") == 0, 60, "their results recorded");
        Assert.Equal(expected, receiver.Count);
        return new(deliveries, (work.Statements - statements) / (double)deliveries, (work.RowsWritten - rows) / (double)deliveries,
            (work.Commits - commits) / (double)deliveries);
    }
}
