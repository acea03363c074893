using Hookline.Delivery;
using Hookline.Storage;
using Hookline.Tests.Support;

namespace Hookline.Tests.Storage;

public sealed class SqliteStoreContractTests() : StoreContractTests(StoreSet.Sqlite());

/// <summary>Needs the PostgreSQL server that ./test.sh starts (HOOKLINE_TEST_POSTGRES).</summary>
public sealed class PostgresStoreContractTests() : StoreContractTests(StoreSet.Postgres());

/// <summary>
/// The store contract, one suite for every implementation with identical expectations: the queue's leases, fencing,
/// take-over, pacing, exhaustion and pruning, and the stores' own rules for secrets, idempotency and isolation.
/// </summary>
public abstract class StoreContractTests(StoreSet stores) : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 2, 1, 8, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
    private readonly Guid _workspace = Guid.NewGuid();
    private readonly IDeliveryStore _deliveries = stores.Deliveries;
    private readonly IEventStore _events = stores.Events;
    private readonly IWebhookStore _webhooks = stores.Webhooks;
    private Webhook _hook = null!;

    public async Task InitializeAsync()
    {
        await stores.Schema.MigrateAsync();
        await stores.Tokens.EnsureWorkspaceAsync(_workspace, "w");
        _hook = new Webhook(Guid.NewGuid(), _workspace, "h", "https://r.example/h", null, "task_added", true, false, "none", null,
            "custom", null, T0, Guid.NewGuid(), T0, Guid.NewGuid());
        await _webhooks.InsertAsync(_hook, Signing.NewSecret());
    }

    public Task DisposeAsync() { stores.Dispose(); return Task.CompletedTask; }

    private Task PublishAsync(int count, DateTimeOffset at) => _events.IngestAsync(
        Enumerable.Range(0, count).Select(_ => new NewEvent(Guid.NewGuid(), _workspace, "task_added", true, "{}", at)).ToList(),
        null, 3, _ => "");

    private async Task<IReadOnlyList<ClaimedDelivery>> Claim(int max, DateTimeOffset now) =>
        (await _deliveries.ClaimAsync(max, now, Lease, TimeSpan.FromSeconds(1), "test-node")).Deliveries;

    private static AttemptResult Result(ClaimedDelivery d, bool success, DateTimeOffset at, DateTimeOffset? retryAt = null) =>
        new(d, success, success ? 200 : 500, success ? null : "HTTP 500", "{}", null, 5, at, retryAt, null);

    [Fact]
    public async Task AClaimedDeliveryIsNotClaimedAgainWhileItsLeaseHolds()
    {
        await PublishAsync(3, T0);
        var first = await Claim(2, T0);
        var second = await Claim(10, T0.AddSeconds(29));
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
        var stale = Assert.Single(await Claim(10, T0));
        var fresh = Assert.Single(await Claim(10, T0 + Lease)); // the first worker died or stalled
        Assert.Equal(stale.Id, fresh.Id);
        Assert.NotEqual(stale.LeaseToken, fresh.LeaseToken);

        Assert.Equal(1, await _deliveries.CompleteAsync([Result(fresh, success: true, T0.AddSeconds(31))], 10, "test-node"));
        Assert.Equal(0, await _deliveries.CompleteAsync([Result(stale, success: false, T0.AddSeconds(32), T0.AddMinutes(1))], 10, "test-node"));

        var state = (await _deliveries.GetAsync(fresh.Id))!;
        Assert.Equal((DeliveryStatus.Succeeded, 1), (state.Status, state.Attempts));
        var logs = await _webhooks.ListLogsAsync(_workspace, _hook.Id, new ListQuery(null, Hookline.Webhooks.WebhookFields.LogDefaultOrder, 1, 10));
        Assert.True(Assert.Single(logs.Items).IsSuccessful);
    }

    [Fact]
    public async Task AFailureWithARetryTimeWaitsUntilThenAndTheLastFailureExhausts()
    {
        await PublishAsync(1, T0);
        var d = Assert.Single(await Claim(1, T0));
        await _deliveries.CompleteAsync([Result(d, false, T0, T0.AddSeconds(5))], 10, "test-node");
        Assert.Empty(await Claim(1, T0.AddSeconds(4)));
        var retry = Assert.Single(await Claim(1, T0.AddSeconds(5)));
        Assert.Equal(2, retry.Attempt);
        Assert.Equal(d.MessageId, retry.MessageId);
        await _deliveries.CompleteAsync([Result(retry, false, T0.AddSeconds(6))], 10, "test-node");
        Assert.Equal(DeliveryStatus.Exhausted, (await _deliveries.GetAsync(d.Id))!.Status);
        Assert.Null(await _deliveries.NextDueAsync());
    }

    [Fact]
    public async Task PruningRemovesOnlyWhatIsPastTheRetention()
    {
        await PublishAsync(2, T0);
        foreach (var d in await Claim(10, T0))
            await _deliveries.CompleteAsync([Result(d, true, T0)], 10, "test-node");
        await PublishAsync(1, T0.AddDays(40)); // still pending, and newer
        await _webhooks.AddLogsAsync([TestData.Log(_workspace, _hook.Id, T0.AddDays(40))]);

        var pruned = await _deliveries.PruneAsync(T0.AddDays(10), T0.AddDays(10));
        Assert.Equal(new PruneResult(2, 2, 2, 0), pruned);
        Assert.Single((await _webhooks.ListLogsAsync(_workspace, _hook.Id, new ListQuery(null, Hookline.Webhooks.WebhookFields.LogDefaultOrder, 1, 10))).Items);
        Assert.Single(await Claim(10, T0.AddDays(41)));
    }

    [Fact]
    public async Task ASlackWebhookGetsOneDeliveryPerPacingIntervalAndTheBurstWaitsItsTurn()
    {
        var slack = _hook with { Id = Guid.NewGuid(), Uri = "https://hooks.slack.com/services/x", ReceiverType = "slack" };
        await _webhooks.InsertAsync(slack, Signing.NewSecret());
        await PublishAsync(3, T0); // three deliveries each for the custom and the Slack webhook

        var claim = await _deliveries.ClaimAsync(10, T0, Lease, TimeSpan.FromSeconds(1), "test-node");
        var first = claim.Deliveries;
        Assert.Equal(3, first.Count(d => d.Target.ReceiverType == "custom"));
        Assert.Single(first, d => d.Target.ReceiverType == "slack");
        // The two given back due at their slots are due before anything the claim saw: it knows it, or says it does not.
        Assert.True(!claim.NextDueKnown || claim.NextDue == T0.AddSeconds(1), $"the claim's next due time: {claim.NextDue}");
        Assert.Equal(T0.AddSeconds(1), await _deliveries.NextDueAsync());
        Assert.Empty(await Claim(10, T0.AddMilliseconds(999)));
        var second = Assert.Single(await Claim(10, T0.AddSeconds(1)));
        Assert.Equal("slack", second.Target.ReceiverType);
        Assert.Empty(await Claim(10, T0.AddSeconds(1.5)));
        Assert.Single(await Claim(10, T0.AddSeconds(2)));
        Assert.Empty(await Claim(10, T0.AddSeconds(9)));
    }

    [Fact]
    public async Task MigratingAgainAppliesNothing()
    {
        var again = await stores.Schema.MigrateAsync();
        Assert.Empty(again.Applied);
        Assert.True(await stores.Schema.PingAsync());
    }

    [Fact]
    public async Task RotatedSecretsSignDuringTheGracePeriodOnly()
    {
        var first = (await _webhooks.GetSecretAsync(_workspace, _hook.Id))!;
        Assert.True(await _webhooks.RotateSecretAsync(_workspace, _hook.Id, "whsec_b", T0, T0.AddHours(1)));
        Assert.Equal("whsec_b", await _webhooks.GetSecretAsync(_workspace, _hook.Id));
        Assert.Equal(["whsec_b", first], (await _deliveries.GetTargetAsync(_workspace, _hook.Id, T0.AddMinutes(59)))!.Secrets);
        Assert.Equal(["whsec_b"], (await _deliveries.GetTargetAsync(_workspace, _hook.Id, T0.AddHours(1)))!.Secrets);

        Assert.True(await _webhooks.RotateSecretAsync(_workspace, _hook.Id, "whsec_c", T0.AddHours(2), T0.AddHours(2)));
        Assert.Equal(["whsec_c"], (await _deliveries.GetTargetAsync(_workspace, _hook.Id, T0.AddHours(2)))!.Secrets);
        Assert.False(await _webhooks.RotateSecretAsync(Guid.NewGuid(), _hook.Id, "whsec_x", T0, T0)); // another workspace
        Assert.Null(await _webhooks.GetSecretAsync(Guid.NewGuid(), _hook.Id));
    }

    [Fact]
    public async Task AnIdempotencyKeyReplaysWithinItsWindowAndRefusesAnotherBody()
    {
        NewEvent E() => new(Guid.NewGuid(), _workspace, "task_added", true, "{}", T0);
        IdempotencyKey Key(string hash, DateTimeOffset at) => new("scope", "k1", hash, at, at.AddHours(-24));

        var first = await _events.IngestAsync([E()], Key("h1", T0), 3, r => $"answer {r[0].Deliveries}");
        Assert.Equal((IngestStatus.Accepted, "answer 1"), (first.Status, first.Response));
        Assert.Equal((IngestStatus.Replayed, "answer 1"), ((await _events.IngestAsync([E()], Key("h1", T0.AddHours(1)), 3, _ => "x")) is var r2 ? (r2.Status, r2.Response) : default));
        Assert.Equal(IngestStatus.KeyReused, (await _events.IngestAsync([E()], Key("h2", T0.AddHours(1)), 3, _ => "x")).Status);
        Assert.Equal(IngestStatus.Accepted, (await _events.IngestAsync([E()], Key("h2", T0.AddHours(25)), 3, _ => "x")).Status);
        Assert.Equal(2, (await Claim(100, T0.AddHours(30))).Count);
    }

    [Theory]
    [InlineData(false)] // on PostgreSQL one statement outside a transaction
    [InlineData(true)] // in a transaction, keys locked and saved
    public async Task ARequestThatFailsInAGroupFailsAloneAndTheOthersAreWrittenWhole(bool keys)
    {
        var taken = new NewEvent(Guid.NewGuid(), _workspace, "task_added", true, "{\"first\":1}", T0);
        await _events.IngestAsync([taken], null, 3, _ => "");
        NewEvent E() => new(Guid.NewGuid(), _workspace, "task_added", true, "{}", T0);
        IngestRequest Request(params NewEvent[] events) => new(events, keys ? new("scope", Guid.NewGuid().ToString(), "h", T0, T0.AddHours(-24)) : null,
            3, r => $"{r.Count} events, {r.Sum(e => e.Deliveries)} deliveries");
        var group = new[] { Request(E(), E()), Request(E(), taken with { Payload = "{\"second\":2}" }), Request(E()) };

        var results = await stores.Db.IngestAsync(group, durable: true);

        Assert.Equal(("2 events, 2 deliveries", null), (results[0].Outcome?.Response, results[0].Error));
        Assert.NotNull(results[1].Error);
        Assert.Equal(("1 events, 1 deliveries", null), (results[2].Outcome?.Response, results[2].Error));
        Assert.Equal(4, (await Claim(100, T0)).Count); // the earlier event's delivery and the three written, none of the failed request's
        Assert.Equal(4L, await stores.Scalar<long>("SELECT COUNT(*) FROM events;"));
        Assert.Equal("{\"first\":1}", await stores.Scalar<string>($"SELECT payload FROM events WHERE payload LIKE '%first%' OR payload LIKE '%second%';"));
    }

    [Fact]
    public async Task DeactivatingOrDeletingAWebhookCancelsItsQueue()
    {
        await PublishAsync(2, T0);
        Assert.True(await _webhooks.UpdateAsync(_hook with { IsActive = false, UpdatedOn = T0 }));
        Assert.Empty(await Claim(10, T0));
        Assert.Equal(0, (await PublishIngestCount(T0)));

        Assert.True(await _webhooks.UpdateAsync(_hook with { UpdatedOn = T0 }));
        await PublishAsync(1, T0);
        Assert.True(await _webhooks.DeleteAsync(_workspace, _hook.Id));
        Assert.Empty(await Claim(10, T0));
        Assert.Null(await _webhooks.GetAsync(_workspace, _hook.Id));
    }

    [Fact]
    public async Task ClaimedDeliveriesParkedAfterTheirWebhookWasDeletedLeaveTheQueueAndNoLaterClaimMeetsThem()
    {
        var other = _hook with { Id = Guid.NewGuid(), Name = "other" };
        await _webhooks.InsertAsync(other, Signing.NewSecret());
        await PublishAsync(3, T0); // three to each
        var claimed = await Claim(10, T0);
        Assert.Equal(6, claimed.Count);
        Assert.True(await _webhooks.DeleteAsync(_workspace, _hook.Id)); // while they are leased: cancelled, no longer due
        await _deliveries.ParkClaimedAsync([.. claimed.Select(d => d.Id)], T0); // beyond first shares: parked, not sent

        Assert.Equal(new[] { 3, 0 }, await _deliveries.LetGoAsync([(other.Id, 10), (_hook.Id, 10)], T0.AddSeconds(1)));
        var again = await Claim(10, T0.AddMinutes(10)); // past the parked fallback too: the deleted webhook's are gone
        Assert.Equal(claimed.Where(d => d.Target.Id == other.Id).Select(d => d.Id).Order(), again.Select(d => d.Id).Order());
        foreach (var d in claimed.Where(d => d.Target.Id == _hook.Id))
            Assert.True(await _deliveries.GetAsync(d.Id) is null or { Status: DeliveryStatus.Cancelled }, $"delivery {d.Id} is still pending");
    }

    private async Task<int> PublishIngestCount(DateTimeOffset at)
    {
        var outcome = await _events.IngestAsync([new NewEvent(Guid.NewGuid(), _workspace, "task_added", true, "{}", at)], null, 3,
            r => r[0].Deliveries.ToString());
        return int.Parse(outcome.Response);
    }

    [Fact]
    public async Task OnlyMainEntityWebhooksSkipNestedChangesAndEventNamesMatchWhole()
    {
        var main = _hook with { Id = Guid.NewGuid(), OnlyTriggerForMainEntityChanges = true, Events = "task_comment_added,task_added" };
        await _webhooks.InsertAsync(main, Signing.NewSecret());
        var outcome = await _events.IngestAsync(
        [
            new NewEvent(Guid.NewGuid(), _workspace, "task_added", false, "{}", T0),
            new NewEvent(Guid.NewGuid(), _workspace, "task_added", true, "{}", T0),
            new NewEvent(Guid.NewGuid(), _workspace, "task_comment", true, "{}", T0),
            new NewEvent(Guid.NewGuid(), Guid.NewGuid(), "task_added", true, "{}", T0),
        ], null, 3, r => string.Join(',', r.Select(e => e.Deliveries)));
        Assert.Equal("1,2,0,0", outcome.Response);
    }

    [Fact]
    public async Task ListsFilterAndOrderTheSameWay()
    {
        for (var i = 0; i < 5; i++)
            await _webhooks.InsertAsync(_hook with { Id = Guid.NewGuid(), Name = $"n{i}", IsActive = i % 2 == 0, CreatedOn = T0.AddMinutes(i) },
                Signing.NewSecret());
        Assert.True(Hookline.Api.Querying.FilterParser.TryParse("isActive eq true and (startswith(name,'N') or name eq 'h')",
            Hookline.Webhooks.WebhookFields.Config, out var filter, out _));
        Assert.True(Hookline.Api.Querying.OrderParser.TryParse("name desc", Hookline.Webhooks.WebhookFields.Config, out var order, out _));
        var page = await _webhooks.ListAsync(_workspace, new ListQuery(filter, order, 1, 2));
        Assert.Equal(4, page.Total);
        Assert.Equal(["n4", "n2"], page.Items.Select(w => w.Name));
        Assert.Equal(0, (await _webhooks.ListAsync(Guid.NewGuid(), new ListQuery(null, order, 1, 10))).Total);
    }

    [Fact]
    public async Task ConsecutiveFailuresPauseOnceAndLateFailuresKeepThePauseReason()
    {
        await PublishAsync(4, T0);
        var claimed = await Claim(10, T0);
        Assert.Equal(4, claimed.Count);
        for (var i = 0; i < 2; i++) await _deliveries.CompleteAsync([Result(claimed[i], false, T0, T0.AddMinutes(1))], 3, "n1");
        Assert.True((await _webhooks.GetAsync(_workspace, _hook.Id))!.IsActive);
        Assert.Equal("HTTP 500", (await _webhooks.GetAsync(_workspace, _hook.Id))!.LastFailureReason);

        await _deliveries.CompleteAsync([Result(claimed[2], false, T0, T0.AddMinutes(1))], 3, "n1");
        var paused = (await _webhooks.GetAsync(_workspace, _hook.Id))!;
        Assert.False(paused.IsActive);
        Assert.StartsWith("Paused after 3 consecutive failed attempts", paused.LastFailureReason);

        // the fourth was in flight when the webhook paused: its result is logged, its queue stays cancelled
        Assert.Equal(1, await _deliveries.CompleteAsync([Result(claimed[3], false, T0, T0.AddMinutes(1))], 3, "n1"));
        Assert.Equal(paused.LastFailureReason, (await _webhooks.GetAsync(_workspace, _hook.Id))!.LastFailureReason);
        Assert.Equal(DeliveryStatus.Cancelled, (await _deliveries.GetAsync(claimed[3].Id))!.Status);
        Assert.Empty(await Claim(10, T0.AddHours(1)));
        Assert.Equal(4, (await _webhooks.ListLogsAsync(_workspace, _hook.Id, new ListQuery(null, Hookline.Webhooks.WebhookFields.LogDefaultOrder, 1, 10))).Total);
    }

    [Fact]
    public async Task APausedWebhooksWholeQueueIsCancelledBeyondOneTransactionsShareAndNoOtherWebhooksIsTouched()
    {
        var other = _hook with { Id = Guid.NewGuid(), Name = "other" };
        await _webhooks.InsertAsync(other, Signing.NewSecret());
        var queued = 2 * ResultSteps.CancelAtOnce + 7;
        await PublishAsync(queued, T0); // to each
        var first = await Claim(1, T0);
        var failing = first[0].Target.Id == _hook.Id ? _hook : other;
        Assert.Equal(1, await _deliveries.CompleteAsync([Result(first[0], false, T0, T0.AddMinutes(1))], 1, "n1"));

        Assert.False((await _webhooks.GetAsync(_workspace, failing.Id))!.IsActive);
        Assert.Equal(queued, await stores.Scalar<long>("SELECT COUNT(*) FROM deliveries WHERE status = 3"));
        Assert.Equal(queued, await stores.Scalar<long>("SELECT COUNT(*) FROM deliveries WHERE status = 0"));
        Assert.Equal(queued, await stores.Scalar<long>("SELECT COUNT(*) FROM delivery_queue"));
        var claimed = await Claim(10 * queued, T0.AddHours(1));
        Assert.Equal(queued, claimed.Count);
        Assert.All(claimed, d => Assert.NotEqual(failing.Id, d.Target.Id));
    }

    [Fact]
    public async Task AClaimCancelsWhatItMeetsOfAnInactiveWebhooksQueueAndAResumeCancelsTheRestBeforeNewDeliveries()
    {
        // A pause whose cancelling stopped part way (a crash after the pause was recorded) leaves deliveries queued
        await PublishAsync(3, T0);
        await stores.Execute("UPDATE webhooks SET is_active = FALSE;");

        Assert.Empty(await Claim(1, T0));
        Assert.Equal(1, await stores.Scalar<long>("SELECT COUNT(*) FROM deliveries WHERE status = 3"));
        Assert.Equal(2, await stores.Scalar<long>("SELECT COUNT(*) FROM delivery_queue"));

        Assert.True(await _webhooks.UpdateAsync(_hook with { UpdatedOn = T0 }));
        Assert.Equal(3, await stores.Scalar<long>("SELECT COUNT(*) FROM deliveries WHERE status = 3"));
        Assert.Empty(await Claim(10, T0.AddHours(1)));
        await PublishAsync(1, T0);
        var fresh = Assert.Single(await Claim(10, T0.AddHours(1)));
        Assert.True(fresh.Target.IsActive);
    }

    [Fact]
    public async Task ASuccessResetsTheFailureCount()
    {
        await PublishAsync(3, T0);
        var claimed = await Claim(10, T0);
        await _deliveries.CompleteAsync([Result(claimed[0], false, T0, T0.AddMinutes(1)), Result(claimed[1], true, T0)], 2, "n1");
        await _deliveries.CompleteAsync([Result(claimed[2], false, T0, T0.AddMinutes(1))], 2, "n1");
        Assert.True((await _webhooks.GetAsync(_workspace, _hook.Id))!.IsActive);
    }

    [Fact]
    public async Task ResultsInOneBatchCountFailuresInTheirOrder()
    {
        await PublishAsync(7, T0);
        var c = await Claim(10, T0);
        AttemptResult Fail(int i) => Result(c[i], false, T0, T0.AddMinutes(1));
        async Task<bool> Active() => (await _webhooks.GetAsync(_workspace, _hook.Id))!.IsActive;

        await _deliveries.CompleteAsync([Fail(0), Fail(1), Result(c[2], true, T0)], 3, "n1"); // ends at 0
        await _deliveries.CompleteAsync([Fail(3)], 3, "n1");                                 // 1
        await _deliveries.CompleteAsync([Result(c[4], true, T0), Fail(5)], 2, "n1");          // the reset comes first: 0, then 1
        Assert.True(await Active());
        await _deliveries.CompleteAsync([Fail(6)], 2, "n1");                                 // 2: pauses
        Assert.False(await Active());
    }

    [Fact]
    public async Task ALogShowsTheEventsPayloadWhenDeliveredUnchangedAndItsOwnMessageOtherwise()
    {
        await _events.IngestAsync([new NewEvent(Guid.NewGuid(), _workspace, "task_added", true, "{\"name\":\"payload\"}", T0)], null, 3, _ => "");
        var d = (await Claim(10, T0)).Single();
        await _deliveries.CompleteAsync([Result(d, false, T0, T0.AddMinutes(1)) with { Message = d.Payload }], 5, "n1");
        var again = (await Claim(10, T0.AddMinutes(2))).Single();
        await _deliveries.CompleteAsync([Result(again, true, T0.AddMinutes(2)) with { Message = "{\"blocks\":[]}" }], 5, "n1");

        var order = Hookline.Webhooks.WebhookFields.LogDefaultOrder;
        var logs = (await _webhooks.ListLogsAsync(_workspace, _hook.Id, new ListQuery(null, order, 1, 10))).Items;
        Assert.Equal(["{\"blocks\":[]}", "{\"name\":\"payload\"}"], logs.OrderByDescending(l => l.CreatedOn).Select(l => l.Message));
        Assert.True(Hookline.Api.Querying.FilterParser.TryParse("substringof('payload', message)", Hookline.Webhooks.WebhookFields.Log,
            out var filter, out _));
        Assert.Equal(1, (await _webhooks.ListLogsAsync(_workspace, _hook.Id, new ListQuery(filter, order, 1, 10))).Total);
    }

    [Fact]
    public async Task ADatabaseFromANewerHooklineIsRefused()
    {
        await stores.Execute("INSERT INTO schema_version (version, name, applied_on) VALUES (9999, 'future', CURRENT_TIMESTAMP);");
        var error = await Assert.ThrowsAsync<DatabaseTooNewException>(() => stores.Schema.MigrateAsync());
        Assert.Contains("schema version 9999", error.Message);
    }

    [Fact]
    public async Task ConcurrentClaimsNeverGiveOneSlackWebhookTwoDeliveriesAtOnce()
    {
        var slack = _hook with { Id = Guid.NewGuid(), Uri = "https://hooks.slack.com/services/x", ReceiverType = "slack" };
        await _webhooks.InsertAsync(slack, Signing.NewSecret());
        await _webhooks.UpdateAsync(_hook with { IsActive = false, UpdatedOn = T0 }); // only the Slack webhook receives
        await PublishAsync(20, T0);

        var claims = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => Claim(3, T0))));
        Assert.Single(claims.SelectMany(c => c));
    }

    [Fact]
    public async Task NextDueLeavesOutDeliveriesInFlight()
    {
        await PublishAsync(1, T0);
        var inFlight = Assert.Single(await Claim(10, T0));
        Assert.Null(await _deliveries.NextDueAsync()); // not T0: a worker would claim back to back until the lease runs out

        await PublishAsync(1, T0.AddSeconds(5));
        Assert.Equal(T0.AddSeconds(5), await _deliveries.NextDueAsync());

        Assert.Equal(1, await _deliveries.CompleteAsync([Result(inFlight, false, T0.AddSeconds(1), retryAt: T0.AddSeconds(3))], 5, "n1"));
        Assert.Equal(T0.AddSeconds(3), await _deliveries.NextDueAsync()); // its retry is due before the other
    }

    /// <summary>
    /// A claim that finds less due than it asked for says so, and brings the next due time as <see cref="IDeliveryStore.NextDueAsync"/>
    /// reads it just after (the worker then makes no look of its own: a round trip less per claim at a few hundred events a
    /// second). One that took all it asked for is not drained; one that passed a troubled webhook by is, and what it passed is due.
    /// </summary>
    [Fact]
    public async Task AClaimThatDrainsTheQueueSaysSoAndBringsTheNextDueTime()
    {
        await PublishAsync(3, T0);
        await PublishAsync(1, T0.AddSeconds(5));
        var all = await _deliveries.ClaimAsync(2, T0, Lease, TimeSpan.FromSeconds(1), "n1");
        Assert.Equal((2, false), (all.Deliveries.Count, all.Drained));

        var drained = await _deliveries.ClaimAsync(10, T0, Lease, TimeSpan.FromSeconds(1), "n1");
        Assert.Equal((1, true, true), (drained.Deliveries.Count, drained.Drained, drained.NextDueKnown));
        Assert.Equal(T0.AddSeconds(5), drained.NextDue); // not the three just leased: they are in flight
        Assert.Equal(await _deliveries.NextDueAsync(), drained.NextDue);

        var last = await _deliveries.ClaimAsync(10, T0.AddSeconds(5), Lease, TimeSpan.FromSeconds(1), "n1");
        Assert.Equal((1, true, true, null), (last.Deliveries.Count, last.Drained, last.NextDueKnown, last.NextDue)); // only in flight
        var nothing = await _deliveries.ClaimAsync(10, T0.AddSeconds(6), Lease, TimeSpan.FromSeconds(1), "n1");
        Assert.Equal((0, true, true, null), (nothing.Deliveries.Count, nothing.Drained, nothing.NextDueKnown, nothing.NextDue));

        var other = _hook with { Id = Guid.NewGuid(), Name = "other" };
        await _webhooks.InsertAsync(other, Signing.NewSecret());
        await PublishAsync(1, T0.AddSeconds(7)); // one to each
        var passedBy = await _deliveries.ClaimAsync(10, T0.AddSeconds(8), Lease, TimeSpan.FromSeconds(1), "n1", new Dictionary<Guid, int> { [_hook.Id] = 0 });
        Assert.Equal(other.Id, Assert.Single(passedBy.Deliveries).Target.Id);
        Assert.Equal((true, true, T0.AddSeconds(7)), (passedBy.Drained, passedBy.NextDueKnown, passedBy.NextDue)); // the one passed by
        Assert.Equal(await _deliveries.NextDueAsync(), passedBy.NextDue);
    }

    /// <summary>
    /// Deliveries whose webhook no longer exists (an ingest on PostgreSQL that read the webhook before its delete committed
    /// queues them after the delete's cancel) are cancelled by the claim that meets them, not leased again and again: the
    /// webhook's row is deleted here without its cancel, as that race leaves it.
    /// </summary>
    [Fact]
    public async Task AClaimCancelsWhatItMeetsOfAWebhookThatNoLongerExists()
    {
        var other = _hook with { Id = Guid.NewGuid(), Name = "other" };
        await _webhooks.InsertAsync(other, Signing.NewSecret());
        await PublishAsync(2, T0); // two each
        await stores.Execute($"DELETE FROM webhook_secrets WHERE webhook_id = '{_hook.Id}'; DELETE FROM webhooks WHERE id = '{_hook.Id}';");

        var claim = await _deliveries.ClaimAsync(4, T0, Lease, TimeSpan.FromSeconds(1), "n1");
        Assert.Equal(2, claim.Deliveries.Count);
        Assert.All(claim.Deliveries, d => Assert.Equal(other.Id, d.Target.Id));
        Assert.False(claim.Drained); // it took the four it asked for: two of them are gone
        var again = await Claim(10, T0 + Lease); // the leases run out: the other's two again, nothing of the gone webhook
        Assert.Equal(claim.Deliveries.Select(d => d.Id).Order(), again.Select(d => d.Id).Order());
        Assert.Equal(0, await stores.Scalar<long>($"SELECT COUNT(*) FROM delivery_queue WHERE webhook_id = '{_hook.Id}';"));
        Assert.Equal(2, await stores.Scalar<long>($"SELECT COUNT(*) FROM deliveries WHERE webhook_id = '{_hook.Id}' AND status = 3;"));
    }

    [Fact]
    public async Task ADeliveryCancelledInFlightRecordsItsAttemptLeavesNothingQueuedAndCanBeRedelivered()
    {
        await PublishAsync(2, T0);
        var inFlight = (await Claim(1, T0)).Single();
        Assert.True(await _webhooks.UpdateAsync(_hook with { IsActive = false, UpdatedOn = T0 }));

        Assert.Equal(1, await _deliveries.CompleteAsync([Result(inFlight, false, T0.AddSeconds(1), retryAt: T0.AddMinutes(1))], 5, "n1"));
        var state = (await _deliveries.GetAsync(inFlight.Id))!;
        Assert.Equal((DeliveryStatus.Cancelled, 1, null), (state.Status, state.Attempts, state.LeaseUntil));
        Assert.Null(await _deliveries.NextDueAsync());
        Assert.Empty(await Claim(10, T0.AddHours(1)));
        Assert.Equal(0, await stores.Scalar<long>("SELECT COUNT(*) FROM delivery_queue;"));

        Assert.True(await _webhooks.UpdateAsync(_hook with { UpdatedOn = T0 }));
        Assert.True(await _deliveries.RedeliverAsync(_workspace, _hook.Id, inFlight.Id, 3, T0.AddHours(2)));
        var again = (await Claim(10, T0.AddHours(2))).Single();
        Assert.Equal((inFlight.Id, inFlight.MessageId, 2), (again.Id, again.MessageId, again.Attempt));
    }

    [Fact]
    public async Task AQueueFromBeforeVersion7KeepsItsLeasesTokensAndFinishedDeliveries()
    {
        await PublishAsync(3, T0);
        var leased = await Claim(2, T0);
        await _deliveries.CompleteAsync([Result(leased[0], true, T0)], 5, "n1");
        // Back to schema 6: the lease on the delivery row, the queue's index partial on the status.
        var postgres = stores.Db.Dialect is Hookline.Storage.Postgres.PostgresDialect;
        await stores.Execute(
            $"""
             ALTER TABLE deliveries ADD COLUMN lease_until {stores.Db.Dialect.TimeType} NULL;
             ALTER TABLE deliveries ADD COLUMN lease_token bigint NULL;
             ALTER TABLE deliveries ADD COLUMN leased_by text NULL;
             UPDATE deliveries SET lease_until = (SELECT q.lease_until FROM delivery_queue q WHERE q.delivery_id = deliveries.id),
               lease_token = (SELECT q.lease_token FROM delivery_queue q WHERE q.delivery_id = deliveries.id),
               leased_by = (SELECT q.leased_by FROM delivery_queue q WHERE q.delivery_id = deliveries.id);
             DROP TABLE delivery_queue;
             DROP INDEX ix_deliveries_webhook;
             DROP INDEX IF EXISTS ix_deliveries_created;
             CREATE INDEX ix_deliveries_due ON deliveries (due_at) WHERE status = 0;
             CREATE INDEX ix_deliveries_webhook ON deliveries (webhook_id, status, created_on);
             {(postgres ? "CREATE INDEX ix_deliveries_completed ON deliveries (completed_on) WHERE status <> 0;" : "")}
             ALTER TABLE events DROP COLUMN trace_parent;
             DROP TABLE portal_link_uses;
             ALTER TABLE webhooks DROP COLUMN alert_state;
             ALTER TABLE webhooks DROP COLUMN alerts_due;
             {string.Concat(new[] { "max_per_second", "max_concurrency", "timeout_seconds", "retry_schedule", "max_attempts", "fifo" }
                 .Select(c => $"ALTER TABLE webhooks DROP COLUMN {c};"))}
             DROP TABLE webhook_leases;
             DELETE FROM schema_version WHERE version >= 7;
             """);

        Assert.Equal([7, 8, 9, 10, 11, 12], (await stores.Schema.MigrateAsync()).Applied);

        var free = (await Claim(10, T0)).Single(); // the lease of leased[1] still holds
        Assert.DoesNotContain(free.Id, leased.Select(d => d.Id));
        Assert.Equal(2, await _deliveries.CompleteAsync([Result(leased[1], true, T0.AddSeconds(1)), Result(free, true, T0.AddSeconds(1))], 5, "n1"));
        Assert.Equal(DeliveryStatus.Succeeded, (await _deliveries.GetAsync(leased[0].Id))!.Status);
        Assert.Null(await _deliveries.NextDueAsync());
    }

    /// <summary>Collects what the store asks to announce, and publishes one plain event per announcement, about its webhook.</summary>
    private sealed class Announcements : IAnnouncer
    {
        public List<(WebhookAlerts Due, Guid Webhook, int Failures)> Alerts { get; } = [];
        public List<long> Exhausted { get; } = [];
        public int Queued { get; private set; }
        public int MaxAttempts => 3;

        public IReadOnlyList<NewEvent> Compose(IReadOnlyList<WebhookAlert> alerts, IReadOnlyList<ExhaustedDelivery> exhausted, int pauseAfter)
        {
            Alerts.AddRange(alerts.Select(a => (a.Due, a.Webhook.Id, a.ConsecutiveFailures)));
            Exhausted.AddRange(exhausted.Select(x => x.Result.Delivery.Id));
            return alerts.Select(a => (Type: a.Due.HasFlag(WebhookAlerts.Paused) ? "webhook_paused"
                        : a.Due.HasFlag(WebhookAlerts.Recovered) ? "webhook_recovered" : "webhook_failing", a.Webhook))
                .Concat(exhausted.Select(x => (Type: "delivery_exhausted", x.Webhook)))
                .Select(x => new NewEvent(Guid.NewGuid(), x.Webhook.WorkspaceId, x.Type, true, "{}", T0, About: x.Webhook.Id)).ToList();
        }

        void IAnnouncer.Queued(int deliveries) => Queued += deliveries;
    }

    private const string OperationalTypes = "webhook_failing,webhook_paused,webhook_recovered,delivery_exhausted";

    [Fact]
    public async Task AFailingStreakIsAnnouncedOnceAtEachWarningAndAtThePauseThenTheSuccessAfterTheResume()
    {
        var ops = _hook with { Id = Guid.NewGuid(), Name = "ops", Events = OperationalTypes };
        await _webhooks.InsertAsync(ops, Signing.NewSecret());
        await _webhooks.UpdateAsync(_hook with { Events = "task_added," + OperationalTypes }); // it never hears about itself
        var told = new Announcements();
        await PublishAsync(12, T0);
        var claimed = await Claim(12, T0);
        Task<int> Fail(int i) => _deliveries.CompleteAsync([Result(claimed[i], false, T0, T0.AddMinutes(1))], 10, "n1", told);

        for (var i = 0; i < 4; i++) await Fail(i);
        Assert.Empty(told.Alerts);
        await Fail(4);
        Assert.Equal([(WebhookAlerts.FirstWarning, _hook.Id, 5)], told.Alerts);
        for (var i = 5; i < 8; i++) await Fail(i);
        Assert.Equal((WebhookAlerts.SecondWarning, _hook.Id, 8), told.Alerts[^1]);
        await Fail(8);
        Assert.Equal(2, told.Alerts.Count);
        await Fail(9);
        Assert.Equal((WebhookAlerts.Paused, _hook.Id, 10), told.Alerts[^1]);
        Assert.Equal(0, await _deliveries.CompleteAsync([Result(claimed[0], false, T0, T0.AddMinutes(1))], 10, "n1", told)); // fenced off
        Assert.Equal(1, await Fail(10)); // in flight at the pause: logged, not announced again
        Assert.Equal(3, told.Alerts.Count);
        Assert.False((await _webhooks.GetAsync(_workspace, _hook.Id))!.IsActive);

        Assert.True(await _webhooks.UpdateAsync(_hook with { Events = "task_added," + OperationalTypes, UpdatedOn = T0 })); // resumed
        await PublishAsync(1, T0);
        var after = (await Claim(20, T0)).Where(d => d.Target.Id == _hook.Id).ToList();
        Assert.Single(after);
        await _deliveries.CompleteAsync([Result(after[0], true, T0)], 10, "n1", told);
        Assert.Equal((WebhookAlerts.Recovered, _hook.Id, 0), told.Alerts[^1]);
        Assert.Equal(4, told.Alerts.Count);
        Assert.Equal(4, told.Queued);

        // Each announcement is an event of the workspace, delivered to the webhook that subscribes, never to the one it is about.
        var delivered = await Claim(50, T0.AddHours(1));
        Assert.Equal(["webhook_failing", "webhook_failing", "webhook_paused", "webhook_recovered"],
            delivered.Where(d => d.Target.Id == ops.Id).Select(d => d.EventType).Order());
        Assert.DoesNotContain(delivered, d => d.Target.Id == _hook.Id && d.EventType != "task_added");
    }

    [Fact]
    public async Task AResumedWebhookStartsANewStreakAndIsPausedAndAnnouncedAgain()
    {
        var told = new Announcements();
        await PublishAsync(6, T0);
        var claimed = await Claim(6, T0);
        for (var i = 0; i < 3; i++) await _deliveries.CompleteAsync([Result(claimed[i], false, T0, T0.AddMinutes(1))], 3, "n1", told);
        Assert.Equal([WebhookAlerts.FirstWarning, WebhookAlerts.Paused], told.Alerts.Select(a => a.Due));
        Assert.True(await _webhooks.UpdateAsync(_hook with { UpdatedOn = T0 }));
        await PublishAsync(3, T0);
        var again = await Claim(10, T0);
        Assert.Equal(3, again.Count); // the paused webhook's queue was cancelled; these are new
        await _deliveries.CompleteAsync([Result(again[0], false, T0, T0.AddMinutes(1))], 3, "n1", told);
        Assert.True((await _webhooks.GetAsync(_workspace, _hook.Id))!.IsActive); // the count started over
        for (var i = 1; i < 3; i++) await _deliveries.CompleteAsync([Result(again[i], false, T0, T0.AddMinutes(1))], 3, "n1", told);
        Assert.False((await _webhooks.GetAsync(_workspace, _hook.Id))!.IsActive);
        Assert.Equal([WebhookAlerts.FirstWarning, WebhookAlerts.Paused, WebhookAlerts.FirstWarning, WebhookAlerts.Paused],
            told.Alerts.Select(a => a.Due));
        Assert.Empty(await Claim(10, T0.AddHours(1))); // the second pause cancelled the queue as well
    }

    [Fact]
    public async Task AnExhaustedDeliveryIsAnnouncedOnceAndAFailureWithARetryIsNot()
    {
        var told = new Announcements();
        await PublishAsync(2, T0);
        var claimed = await Claim(2, T0);
        await _deliveries.CompleteAsync([Result(claimed[0], false, T0), Result(claimed[1], false, T0, T0.AddMinutes(1))], 10, "n1", told);
        Assert.Equal([claimed[0].Id], told.Exhausted);
        Assert.Empty(told.Alerts);
        Assert.Equal(0, await _deliveries.CompleteAsync([Result(claimed[0], false, T0)], 10, "n1", told)); // fenced off: not again
        Assert.Equal([claimed[0].Id], told.Exhausted);
    }

    [Fact]
    public async Task WhatAClaimTakesBeyondATroubledWebhooksRoomIsParkedAndItsBacklogApartUntilLetGoTheOldestFirst()
    {
        await PublishAsync(5, T0); // five deliveries to the troubled webhook
        var other = _hook with { Id = Guid.NewGuid(), Name = "other" };
        await _webhooks.InsertAsync(other, Signing.NewSecret());
        await PublishAsync(3, T0); // three more to it, three to the other, all behind the first five

        var claimed = (await _deliveries.ClaimAsync(4, T0, Lease, TimeSpan.FromSeconds(1), "n1", new Dictionary<Guid, int> { [_hook.Id] = 1 })).Deliveries;
        var went = Assert.Single(claimed); // its room was one: the oldest went, the three over it were parked
        Assert.Equal(_hook.Id, went.Target.Id);
        Assert.Equal(4, await _deliveries.ParkAsync(_hook.Id, T0)); // and the rest of its due backlog apart
        Assert.Equal(0, await _deliveries.ParkAsync(_hook.Id, T0));
        var rest = await Claim(10, T0.AddSeconds(10));
        Assert.Equal(3, rest.Count); // the other's three, no longer behind the troubled webhook's backlog
        Assert.All(rest, d => Assert.Equal(other.Id, d.Target.Id));
        var parked = (await Task.WhenAll(Enumerable.Range(0, 20).Select(i => _deliveries.GetAsync(went.Id + i)))).OfType<DeliveryState>()
            .Where(s => s.WebhookId == _hook.Id && s.Id != went.Id).OrderBy(s => s.Id).ToList();
        Assert.Equal(7, parked.Count);
        Assert.True(went.Id < parked[0].Id);
        Assert.All(parked, s => Assert.Equal(T0 + DeliveryLimits.CongestedFallback, s.DueAt)); // longer than a lease: nobody takes them meanwhile

        Assert.Equal(new[] { 2, 0 }, await _deliveries.LetGoAsync([(_hook.Id, 2), (other.Id, 5)], T0.AddSeconds(1)));
        var letGo = await Claim(10, T0.AddSeconds(11));
        Assert.Equal(parked.Take(2).Select(s => s.Id), letGo.Select(d => d.Id).Order()); // the oldest two
        Assert.Equal(new[] { 5 }, await _deliveries.LetGoAsync([(_hook.Id, 6)], T0.AddSeconds(12))); // fewer than asked: none is left parked
        Assert.Equal(5, (await Claim(10, T0.AddSeconds(12))).Count);
        Assert.Equal(new[] { 0 }, await _deliveries.LetGoAsync([(_hook.Id, 5)], T0.AddSeconds(13)));
    }

    [Fact]
    public async Task AClaimPassesByATroubledWebhookWithoutRoomAndLeavesItsDeliveriesAsTheyAre()
    {
        await PublishAsync(5, T0);
        var other = _hook with { Id = Guid.NewGuid(), Name = "other" };
        await _webhooks.InsertAsync(other, Signing.NewSecret());
        await PublishAsync(2, T0); // two more to it, two to the other, behind the first five

        var claimed = (await _deliveries.ClaimAsync(10, T0, Lease, TimeSpan.FromSeconds(1), "n1", new Dictionary<Guid, int> { [_hook.Id] = 0 })).Deliveries;
        Assert.Equal(2, claimed.Count);
        Assert.All(claimed, d => Assert.Equal(other.Id, d.Target.Id));
        var mine = await Claim(10, T0); // nothing was parked or leased: due as before, for a claim that has room for it
        Assert.Equal(7, mine.Count);
        Assert.All(mine, d => Assert.Equal(_hook.Id, d.Target.Id));
    }

    [Fact]
    public async Task ATroubledWebhooksBacklogIsParkedAThousandATimeAndLetGoAtMostTenThousandAtATime()
    {
        await PublishAsync(DeliveryLimits.AtOnce + 10, T0);
        Assert.Single((await _deliveries.ClaimAsync(4, T0, Lease, TimeSpan.FromSeconds(1), "n1", new Dictionary<Guid, int> { [_hook.Id] = 1 })).Deliveries);
        var passes = new List<int>();
        for (int n; (n = await _deliveries.ParkAsync(_hook.Id, T0)) > 0;) passes.Add(n);
        Assert.Equal(Enumerable.Repeat(DeliveryLimits.ParkAtOnce, 10).Append(6), passes); // 1 went, 3 over its room parked by the claim
        Assert.Empty(await Claim(100, T0.AddSeconds(1)));
        Assert.Equal(new[] { DeliveryLimits.AtOnce }, await _deliveries.LetGoAsync([(_hook.Id, DeliveryLimits.AtOnce)], T0.AddSeconds(2)));
        Assert.Equal(new[] { 9 }, await _deliveries.LetGoAsync([(_hook.Id, DeliveryLimits.AtOnce)], T0.AddSeconds(2)));
    }

    [Theory]
    [InlineData(10, 5, 8)]
    [InlineData(5, 3, 4)]
    [InlineData(4, 2, int.MaxValue)] // four fifths of 4 is the pause itself
    [InlineData(2, 1, int.MaxValue)]
    [InlineData(1, int.MaxValue, int.MaxValue)]
    public void WarningsComeAtHalfAndFourFifthsOfThePauseThreshold(int pauseAfter, int first, int second) =>
        Assert.Equal((first, second), ResultSteps.WarningsAt(pauseAfter));
}
