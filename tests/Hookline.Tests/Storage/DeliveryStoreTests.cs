using Hookline.Delivery;
using Hookline.Storage;
using Hookline.Storage.Sqlite;
using Hookline.Tests.Support;
using Microsoft.Extensions.Options;

namespace Hookline.Tests.Storage;

/// <summary>The queue's own guarantees, straight against the store: leases, fencing, take-over, pruning.</summary>
public sealed class DeliveryStoreTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 2, 1, 8, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
    private readonly TempDatabase _file = new();
    private readonly Guid _workspace = Guid.NewGuid();
    private SqliteDeliveryStore _deliveries = null!;
    private SqliteEventStore _events = null!;
    private SqliteWebhookStore _webhooks = null!;
    private Webhook _hook = null!;

    public async Task InitializeAsync()
    {
        var db = new SqliteDb(Options.Create(new DatabaseOptions { ConnectionString = _file.Path }));
        await new SqliteDatabase(db, TimeProvider.System).MigrateAsync();
        await new SqliteTokenStore(db, TimeProvider.System).EnsureWorkspaceAsync(_workspace, "w");
        _deliveries = new SqliteDeliveryStore(db);
        _events = new SqliteEventStore(db);
        _webhooks = new SqliteWebhookStore(db, TimeProvider.System);
        _hook = new Webhook(Guid.NewGuid(), _workspace, "h", "https://r.example/h", null, "task_added", true, false, "none", null,
            "custom", null, T0, Guid.NewGuid(), T0, Guid.NewGuid());
        await _webhooks.InsertAsync(_hook, Signing.NewSecret());
    }

    public Task DisposeAsync() { _file.Dispose(); return Task.CompletedTask; }

    private Task PublishAsync(int count, DateTimeOffset at) => _events.IngestAsync(
        Enumerable.Range(0, count).Select(_ => new NewEvent(Guid.NewGuid(), _workspace, "task_added", true, "{}", at)).ToList(),
        null, 3, _ => "");

    private static AttemptResult Result(ClaimedDelivery d, bool success, DateTimeOffset at, DateTimeOffset? retryAt = null) =>
        new(d, success, success ? 200 : 500, success ? null : "HTTP 500", "{}", null, 5, at, retryAt, null);

    [Fact]
    public async Task AClaimedDeliveryIsNotClaimedAgainWhileItsLeaseHolds()
    {
        await PublishAsync(3, T0);
        var first = await _deliveries.ClaimAsync(2, T0, Lease);
        var second = await _deliveries.ClaimAsync(10, T0.AddSeconds(29), Lease);
        Assert.Equal(2, first.Count);
        Assert.Single(second);
        Assert.Empty(first.Select(d => d.Id).Intersect(second.Select(d => d.Id)));
        Assert.All(first.Concat(second), d => Assert.Equal(1, d.Attempt));
        Assert.Single(first[0].Target.Secrets);
    }

    [Fact]
    public async Task AnExpiredLeaseIsTakenOverAndTheStaleWorkersResultIsFencedOut()
    {
        await PublishAsync(1, T0);
        var stale = Assert.Single(await _deliveries.ClaimAsync(10, T0, Lease));
        var fresh = Assert.Single(await _deliveries.ClaimAsync(10, T0 + Lease, Lease)); // the first worker died or stalled
        Assert.Equal(stale.Id, fresh.Id);
        Assert.NotEqual(stale.LeaseToken, fresh.LeaseToken);

        Assert.Equal(1, await _deliveries.CompleteAsync([Result(fresh, success: true, T0.AddSeconds(31))], 10));
        Assert.Equal(0, await _deliveries.CompleteAsync([Result(stale, success: false, T0.AddSeconds(32), T0.AddMinutes(1))], 10));

        var state = (await _deliveries.GetAsync(fresh.Id))!;
        Assert.Equal((DeliveryStatus.Succeeded, 1), (state.Status, state.Attempts));
        var logs = await _webhooks.ListLogsAsync(_workspace, _hook.Id, new ListQuery(null, Hookline.Webhooks.WebhookFields.LogDefaultOrder, 1, 10));
        Assert.True(Assert.Single(logs.Items).IsSuccessful);
    }

    [Fact]
    public async Task AFailureWithARetryTimeWaitsUntilThenAndTheLastFailureExhausts()
    {
        await PublishAsync(1, T0);
        var d = Assert.Single(await _deliveries.ClaimAsync(1, T0, Lease));
        await _deliveries.CompleteAsync([Result(d, false, T0, T0.AddSeconds(5))], 10);
        Assert.Empty(await _deliveries.ClaimAsync(1, T0.AddSeconds(4), Lease));
        var retry = Assert.Single(await _deliveries.ClaimAsync(1, T0.AddSeconds(5), Lease));
        Assert.Equal(2, retry.Attempt);
        Assert.Equal(d.MessageId, retry.MessageId);
        await _deliveries.CompleteAsync([Result(retry, false, T0.AddSeconds(6))], 10);
        Assert.Equal(DeliveryStatus.Exhausted, (await _deliveries.GetAsync(d.Id))!.Status);
        Assert.Null(await _deliveries.NextDueAsync());
    }

    [Fact]
    public async Task PruningRemovesOnlyWhatIsPastTheRetention()
    {
        await PublishAsync(2, T0);
        foreach (var d in await _deliveries.ClaimAsync(10, T0, Lease))
            await _deliveries.CompleteAsync([Result(d, true, T0)], 10);
        await PublishAsync(1, T0.AddDays(40)); // still pending, and newer
        await _webhooks.AddLogsAsync([TestData.Log(_workspace, _hook.Id, T0.AddDays(40))]);

        var pruned = await _deliveries.PruneAsync(T0.AddDays(10), T0.AddDays(10));
        Assert.Equal(new PruneResult(2, 2, 2, 0), pruned);
        Assert.Single((await _webhooks.ListLogsAsync(_workspace, _hook.Id, new ListQuery(null, Hookline.Webhooks.WebhookFields.LogDefaultOrder, 1, 10))).Items);
        Assert.Single(await _deliveries.ClaimAsync(10, T0.AddDays(41), Lease));
    }
}
