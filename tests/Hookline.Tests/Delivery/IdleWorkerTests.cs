using System.Net.Http.Json;
using Hookline.Auth;
using Hookline.Delivery;
using Hookline.Tests.Support;
using Microsoft.AspNetCore.Http;
using Xunit.Abstractions;

namespace Hookline.Tests.Delivery;

/// <summary>A worker whose only delivery is in flight waits for its poll or a wake-up: it does not spin on claims.</summary>
public sealed class IdleWorkerTests(ITestOutputHelper output)
{
    private static readonly TimeSpan SlowAnswer = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task WhileItsOnlyDeliveryIsInFlightAWorkerClaimsNoMoreOftenThanItPolls()
    {
        CountingDeliveryStore store = null!;
        var claimsWhileInFlight = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var receiver = await Receiver.StartAsync();
        receiver.Respond = async (_, http) =>
        {
            var before = store.Claims;
            await Task.Delay(SlowAnswer);
            claimsWhileInFlight.TrySetResult(store.Claims - before);
            await http.Response.WriteAsync("ok");
        };
        // The default poll interval and lease; the timeout only has to outlast the slow answer.
        using var app = new HooklineFactory(new()
        {
            ["Hookline:Delivery:AllowPrivateNetworks"] = "true",
            ["Hookline:Delivery:Timeout"] = "00:00:30",
        }, services: CountingDeliveryStore.Register);
        store = app.Service<CountingDeliveryStore>();
        var workspace = Guid.NewGuid();
        await (await app.AdminAsync(workspace)).CreateWebhookAsync(Json.Form(uri: receiver.Url + "/slow"));
        await (await app.ClientAsync(workspace, Permissions.EventsPublish)).PublishAsync(TestEvents.Event());

        var claims = await claimsWhileInFlight.Task.WaitAsync(SlowAnswer * 3);
        output.WriteLine($"{claims} claim queries in the {SlowAnswer.TotalSeconds} s the delivery was in flight");

        // A claim per poll, and a couple for the wake-up and the loop around the claim that found the delivery. Counting
        // the lease of the delivery in flight as due work made the worker claim back to back: thousands in these 10 s.
        var polls = (int)(SlowAnswer / new DeliveryOptions().PollInterval);
        Assert.InRange(claims, 1, polls + 2);
        Assert.Single(receiver.Requests);
    }

    /// <summary>
    /// A claim passes a webhook by when it has no room (its first share in flight to a receiver nothing is known about, which
    /// hangs): its due backlog is no work, and the worker looks again a sweep's time later (or when woken), not at once.
    /// </summary>
    [Fact]
    public async Task AWebhookPassedByForWantOfRoomIsNotClaimedBackToBack()
    {
        CountingDeliveryStore store = null!;
        var firstRequest = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var receiver = await Receiver.StartAsync();
        receiver.Respond = async (_, http) =>
        {
            firstRequest.TrySetResult();
            await Task.Delay(SlowAnswer, http.RequestAborted);
        };
        using var app = NodeBesideAHangingReceiver();
        store = app.Service<CountingDeliveryStore>();
        var workspace = Guid.NewGuid();
        await (await app.AdminAsync(workspace)).CreateWebhookAsync(Json.Form(uri: receiver.Url + "/hangs"));
        var publisher = await app.ClientAsync(workspace, Permissions.EventsPublish);
        var before = store.Claims;
        for (var i = 0; i < 2; i++)
            (await publisher.PostAsJsonAsync("/api/v1/events/batch", Enumerable.Range(0, 500).Select(n => TestEvents.Event(entityId: $"e{i}-{n}")))).EnsureSuccessStatusCode();

        await firstRequest.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromSeconds(2));
        var claims = store.Claims - before;
        output.WriteLine($"{claims} claim queries from the backlog's queuing to 2 s after the first request; {receiver.Count} requests");

        // Four sweeps a SlowAfter (250 ms): 16 looks in 2 s, and a few more when woken. Looking again at once, while what is
        // due cannot go, made hundreds; the backlog is parked apart once the webhook is found slow.
        Assert.InRange(claims, 0, 40);
        Assert.Equal(new DeliveryOptions().SlowShare, receiver.Count); // its first share, and no more while it hangs
    }

    /// <summary>
    /// Beside a troubled webhook that every claim passes by (its share in flight to a receiver that hangs), each of a healthy
    /// webhook's events costs one claim. A claim that found less due than it asked for was followed by a second at once, which
    /// found nothing: two claims an event, each walking the troubled webhook's backlog until it was parked (bench noisy: 40 %
    /// more claims beside a troubled neighbour than alone).
    /// </summary>
    [Fact]
    public async Task BesideAWebhookPassedByEachEventCostsOneClaimNotTwo()
    {
        var measured = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var receiver = await Receiver.StartAsync();
        receiver.Respond = async (request, http) =>
        {
            if (request.Path == "/hangs") await measured.Task.WaitAsync(TimeSpan.FromSeconds(30)); // hangs until the end
            await http.Response.WriteAsync("ok");
        };
        using var app = NodeBesideAHangingReceiver();
        var store = app.Service<CountingDeliveryStore>();
        var workspace = Guid.NewGuid();
        var admin = await app.AdminAsync(workspace);
        await admin.CreateWebhookAsync(Json.Form(uri: receiver.Url + "/hangs", events: "task_deleted"));
        await admin.CreateWebhookAsync(Json.Form(uri: receiver.Url + "/ok", events: "task_added"));
        var publisher = await app.ClientAsync(workspace, Permissions.EventsPublish);
        // The healthy webhook proven first: until its receiver has answered in time, a claim that takes its delivery limits it
        // to its share, and then the worker looks for the next due time on its own (1 look in some runs on PostgreSQL).
        await publisher.PublishAsync(TestEvents.Event(entityId: "proven"));
        await Eventually.TrueAsync(async () => await app.ScalarAsync<long>("SELECT COUNT(*) FROM webhook_logs") == 1, what: "the healthy webhook's first result");
        (await publisher.PostAsJsonAsync("/api/v1/events/batch",
            Enumerable.Range(0, 500).Select(n => TestEvents.Event("task_deleted", entityId: $"t{n}")))).EnsureSuccessStatusCode();
        var slowShare = new DeliveryOptions().SlowShare;
        await Eventually.TrueAsync(() => receiver.Requests.Count(r => r.Path == "/hangs") == slowShare, what: "the troubled webhook's share in flight");
        await Task.Delay(TimeSpan.FromSeconds(1)); // found slow, its backlog parked

        const int Events = 100;
        var (before, looks, clock) = (store.Claims, store.Looks, System.Diagnostics.Stopwatch.StartNew());
        for (var n = 0; n < Events; n++)
        {
            await publisher.PublishAsync(TestEvents.Event(entityId: $"h{n}"));
            await Eventually.TrueAsync(() => receiver.Requests.Count(r => r.Path == "/ok") == n + 2, what: $"healthy event {n} delivered");
        }
        var (claims, ownLooks, elapsed) = (store.Claims - before, store.Looks - looks, clock.Elapsed);
        measured.SetResult();
        output.WriteLine($"{claims} claim queries for {Events} healthy events beside a webhook passed by ({(double)claims / Events:0.00} an event) " +
            $"in {elapsed.TotalSeconds:0.0} s; {ownLooks} looks for the next due delivery apart from them");

        // One an event, and at most one a pace window while nothing comes (a claim that passed a webhook by looks again then).
        // Two an event made 200 in about 3 s here.
        Assert.InRange(claims, Events, Events + (int)(elapsed / FairShare.PaceWindow) + 5);
        Assert.Equal(0, ownLooks); // each claim brought the next due time: no round trip of its own for it
        Assert.Equal(slowShare, receiver.Requests.Count(r => r.Path == "/hangs"));
    }

    /// <summary>
    /// After claims that took little, a claim asks for 16 deliveries, then twice what the last took, up to the free slots: a
    /// backlog queued at once for a webhook nothing was known of was claimed 248 rows at a time (30-65 ms a claim on
    /// PostgreSQL, nearly all parked again beyond its first share) while a healthy webhook beside it waited.
    /// </summary>
    [Fact]
    public async Task AfterQuietClaimsABacklogIsClaimedSixteenFirstThenTwiceWhatTheLastTook()
    {
        await using var receiver = await Receiver.StartAsync();
        using var app = NodeBesideAHangingReceiver();
        var store = app.Service<CountingDeliveryStore>();
        var workspace = Guid.NewGuid();
        await (await app.AdminAsync(workspace)).CreateWebhookAsync(Json.Form(uri: receiver.Url + "/fast"));
        var publisher = await app.ClientAsync(workspace, Permissions.EventsPublish);
        await publisher.PublishAsync(TestEvents.Event());
        await Eventually.TrueAsync(() => receiver.Count == 1, what: "the first delivery");
        await Task.Delay(TimeSpan.FromMilliseconds(500)); // claims that found nothing
        var before = store.Sizes.Count;

        (await publisher.PostAsJsonAsync("/api/v1/events/batch", Enumerable.Range(0, 500).Select(n => TestEvents.Event(entityId: $"b{n}")))).EnsureSuccessStatusCode();
        await Eventually.TrueAsync(() => receiver.Count == 501, 60, "the backlog delivered");

        var sizes = store.Sizes.Skip(before - 1).ToList();
        output.WriteLine(string.Join(", ", sizes.Skip(1).Select(s => $"{s.Took}/{s.Asked}")));
        for (var i = 1; i < sizes.Count; i++) Assert.InRange(sizes[i].Asked, 1, Math.Max(16, 2 * sizes[i - 1].Took));
        Assert.Equal(16, sizes.Skip(1).First(s => s.Took > 0).Asked);
        Assert.Contains(sizes, s => s.Asked >= 64); // it grows as the claims fill
    }

    /// <summary>
    /// A node whose requests may hang for the whole test (a 30 s timeout) without their webhook being paused, its delivery
    /// store counted (<see cref="CountingDeliveryStore"/>).
    /// </summary>
    private static HooklineFactory NodeBesideAHangingReceiver() => new(new()
    {
        ["Hookline:Delivery:AllowPrivateNetworks"] = "true",
        ["Hookline:Delivery:Timeout"] = "00:00:30",
        ["Hookline:Delivery:PauseAfterConsecutiveFailures"] = "1000",
    }, services: CountingDeliveryStore.Register);

    /// <summary>
    /// The look for the next due delivery fails, as it does while the disk under SQLite is read-only: the worker waits a poll
    /// and claims again. That failure, thrown out of the claim loop, stopped the worker for good while ingest still answered
    /// 202 (DiskTroubleTests found it in CI: nothing accepted after the disk came back was delivered).
    /// </summary>
    [Fact]
    public async Task AWorkerWhoseLookForTheNextDueDeliveryFailsGoesOnDelivering()
    {
        await using var receiver = await Receiver.StartAsync();
        using var app = new HooklineFactory(TestEvents.FastDelivery(), services: CountingDeliveryStore.Register);
        var store = app.Service<CountingDeliveryStore>();
        var workspace = Guid.NewGuid();
        await (await app.AdminAsync(workspace)).CreateWebhookAsync(Json.Form(uri: receiver.Url));
        var publisher = await app.ClientAsync(workspace, Permissions.EventsPublish);

        store.FailNextDue(3);
        await publisher.PublishAsync(TestEvents.Event(entityId: "during"));
        await Eventually.TrueAsync(() => store.NextDueFailed == 3, what: "three failed looks for the next due delivery");
        await publisher.PublishAsync(TestEvents.Event(entityId: "after"));

        await Eventually.TrueAsync(() => receiver.Count == 2, what: "both events delivered");
        Assert.Contains(app.Logs.Lines, l => l.Contains("Looking for the next due delivery failed"));
    }
}
