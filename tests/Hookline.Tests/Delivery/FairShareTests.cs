using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hookline.Tests.Support;
using Microsoft.AspNetCore.Http;
using Xunit.Abstractions;

namespace Hookline.Tests.Delivery;

/// <summary>
/// One node's slots shared between a webhook whose receiver hangs until the timeout and one whose receiver answers at once
/// (FairShare): 16 slots, attempts slow after 200 ms, a slow webhook's share 4, a 3 s timeout.
/// </summary>
[Collection(nameof(AloneOnTheMachine))]
public sealed class FairShareTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Slots = 16, Share = 4;
    private TestWorkspace _workspace = null!;
    private Receiver _hanging = null!, _healthy = null!;
    private int _open, _mostOpen, _mostOpenEarly;
    private long _firstRequest;

    public async Task InitializeAsync()
    {
        (_hanging, _healthy) = (await Receiver.StartAsync(), await Receiver.StartAsync());
        _hanging.Respond = async (_, http) =>
        {
            var now = Interlocked.Increment(ref _open);
            Atomic.Max(ref _mostOpen, now);
            Interlocked.CompareExchange(ref _firstRequest, System.Diagnostics.Stopwatch.GetTimestamp(), 0);
            // Before the first timeouts (3 s) no abort can be seen late: what is open then is what was sent.
            if (System.Diagnostics.Stopwatch.GetElapsedTime(Interlocked.Read(ref _firstRequest)) < TimeSpan.FromSeconds(2.5)) Atomic.Max(ref _mostOpenEarly, now);
            try { await Task.Delay(Timeout.Infinite, http.RequestAborted); }
            catch (OperationCanceledException) { }
            finally { Interlocked.Decrement(ref _open); }
        };
        _workspace = await TestWorkspace.StartAsync(TestEvents.FastDelivery(
            ("Hookline:Delivery:Concurrency", $"{Slots}"), ("Hookline:Delivery:SlowAfter", "00:00:00.200"),
            ("Hookline:Delivery:SlowShare", $"{Share}"), ("Hookline:Delivery:Timeout", "00:00:03"),
            ("Hookline:Delivery:PauseAfterConsecutiveFailures", "1000")));
    }

    public async Task DisposeAsync()
    {
        _workspace.Dispose();
        await _hanging.DisposeAsync();
        await _healthy.DisposeAsync();
    }

    private async Task PublishAsync(string eventType, int from, int count)
    {
        var batch = Enumerable.Range(from, count).Select(i => TestEvents.Event(eventType, entityId: $"e{i}")).ToArray();
        Assert.Equal(HttpStatusCode.Accepted, (await _workspace.Publisher.PostAsJsonAsync("/api/v1/events/batch", batch)).StatusCode);
    }

    private static int Number(Received r) => int.Parse(JsonDocument.Parse(r.Body).RootElement.GetProperty("entityId").GetString()![1..]);

    [Fact]
    public async Task AHangingReceiverHoldsNoMoreThanItsShareAndTheOthersDeliveriesGoOnAtOnce()
    {
        await _workspace.Admin.CreateWebhookAsync(Json.Form(uri: _hanging.Url + "/hangs", events: "task_deleted"));
        await _workspace.Admin.CreateWebhookAsync(Json.Form(uri: _healthy.Url + "/fine", events: "task_added"));
        await PublishAsync("task_deleted", 0, 200); // queued first: ahead of everything the healthy webhook gets
        await Eventually.TrueAsync(() => Volatile.Read(ref _open) == Share, 10, "its first share sent to the hanging receiver");
        var start = DateTimeOffset.UtcNow;

        // Two timeouts' worth of events for the healthy webhook, one every 100 ms, while the hanging one keeps trying.
        var sent = new ConcurrentDictionary<int, DateTimeOffset>();
        var mostOpenLater = 0;
        for (var i = 0; i < 70; i++)
        {
            sent[i] = DateTimeOffset.UtcNow;
            await _workspace.Publisher.PublishAsync(TestEvents.Event(entityId: $"e{i}"));
            // From 1.5 s after the first timeouts (3 s): on a loaded machine the receiver sees the aborts that much later.
            if (DateTimeOffset.UtcNow - start > TimeSpan.FromSeconds(4.5)) Atomic.Max(ref mostOpenLater, Volatile.Read(ref _open));
            await Task.Delay(100);
        }
        try { await Eventually.TrueAsync(() => _healthy.Count >= 70, 30, "every healthy delivery"); }
        finally { output.WriteLine($"{_healthy.Count} healthy deliveries; the hanging receiver had {_hanging.Count} requests, {_open} open now"); }

        var waits = _healthy.Requests.Select(r => (r.At - sent[Number(r)]).TotalMilliseconds).Order().ToList();
        var triedLater = _hanging.Requests.Count(r => r.At > start.AddSeconds(3.5));
        output.WriteLine($"healthy waits: median {waits[waits.Count / 2]:0} ms, most {waits[^1]:0} ms; hanging receiver: {_mostOpen} open at " +
            $"most, {_mostOpenEarly} before the first timeouts, {mostOpenLater} after them, {triedLater} requests since");
        Assert.All(waits, w => Assert.InRange(w, 0, 1000)); // without the slow lane: up to the 3 s timeout, waiting for a slot
        Assert.InRange(_mostOpenEarly, 1, Share); // a receiver nothing is known about gets its share at first, never every slot
        Assert.InRange(mostOpenLater, 1, Share); // once slow, it holds its share, and keeps trying within it
        Assert.InRange(triedLater, 1, 3 * Share);
    }

    [Fact]
    public async Task AFailingReceiversBacklogDoesNotStandInFrontOfTheOthersDeliveries()
    {
        _hanging.Respond = async (_, http) => { await Task.Delay(50); http.Response.StatusCode = 500; }; // in time, but failing
        await _workspace.Admin.CreateWebhookAsync(Json.Form(uri: _hanging.Url + "/fails", events: "task_deleted"));
        await _workspace.Admin.CreateWebhookAsync(Json.Form(uri: _healthy.Url + "/fine", events: "task_added"));
        await PublishAsync("task_deleted", 0, 1000); // queued first: at 16 slots and 50 ms an attempt, three seconds' worth
        await Eventually.TrueAsync(() => _hanging.Count >= 3, 10, "the failing receiver's first answers");

        var sent = new ConcurrentDictionary<int, DateTimeOffset>();
        for (var i = 0; i < 20; i++)
        {
            sent[i] = DateTimeOffset.UtcNow;
            await _workspace.Publisher.PublishAsync(TestEvents.Event(entityId: $"e{i}"));
            await Task.Delay(50);
        }
        await Eventually.TrueAsync(() => _healthy.Count >= 20, 30, "every healthy delivery");
        var failed = _hanging.Count;
        var waits = _healthy.Requests.Select(r => (r.At - sent[Number(r)]).TotalMilliseconds).Order().ToList();
        output.WriteLine($"healthy waits: median {waits[waits.Count / 2]:0} ms, most {waits[^1]:0} ms; the failing receiver had {failed} requests by then");
        Assert.InRange(failed, 3, 999); // its backlog was still queued (1,000 failures in a row would pause it), parked
        Assert.All(waits, w => Assert.InRange(w, 0, 500)); // not behind it: without parking, up to the three seconds it takes
    }

    [Fact]
    public async Task AHangingWebhookNeverTakesTheConnectionsOfAProvenOneOnTheSameHost()
    {
        var used = new ConcurrentDictionary<(string Connection, bool Hangs), bool>();
        var proven = false; // its first deliveries, before one answered in time, go apart too
        _healthy.Respond = async (r, http) =>
        {
            var hangs = r.Path.StartsWith("/hangs", StringComparison.Ordinal);
            if (hangs || Volatile.Read(ref proven)) used[(http.Connection.Id, hangs)] = true;
            if (!hangs) { await http.Response.WriteAsync("ok"); return; }
            try { await Task.Delay(Timeout.Infinite, http.RequestAborted); }
            catch (OperationCanceledException) { }
        };
        await _workspace.Admin.CreateWebhookAsync(Json.Form(uri: _healthy.Url + "/fine", events: "task_added"));
        for (var i = 0; i < 10; i++) await _workspace.Publisher.PublishAsync(TestEvents.Event(entityId: $"e{i}"));
        await Eventually.TrueAsync(() => _healthy.Count == 10, 10, "the proven webhook's first deliveries");
        Volatile.Write(ref proven, true);
        for (var i = 10; i < 20; i++) await _workspace.Publisher.PublishAsync(TestEvents.Event(entityId: $"e{i}"));
        await Eventually.TrueAsync(() => _healthy.Count == 20, 10, "the proven webhook's next deliveries"); // their connections idle now

        await _workspace.Admin.CreateWebhookAsync(Json.Form(uri: _healthy.Url + "/hangs", events: "task_deleted"));
        await PublishAsync("task_deleted", 0, 100);
        await Eventually.TrueAsync(() => used.Keys.Count(k => k.Hangs) >= Share, 10, "the hanging webhook's share sent");
        for (var i = 20; i < 40; i++) await _workspace.Publisher.PublishAsync(TestEvents.Event(entityId: $"e{i}"));
        await Eventually.TrueAsync(() => _healthy.Requests.Count(r => r.Path == "/fine") == 40, 10, "the proven webhook's deliveries");

        var shared = used.Keys.Where(k => k.Hangs).Select(k => k.Connection).Intersect(used.Keys.Where(k => !k.Hangs).Select(k => k.Connection)).ToList();
        output.WriteLine($"{used.Keys.Count(k => !k.Hangs)} connections for the proven webhook, {used.Keys.Count(k => k.Hangs)} for the hanging one");
        Assert.Empty(shared); // on one pool, the hanging requests took the idle connections the proven webhook had opened
    }

    [Fact]
    public async Task AReceiverThatAnswersInTimeMayUseEverySlot()
    {
        var (open, most) = (0, 0);
        _healthy.Respond = async (_, http) =>
        {
            Atomic.Max(ref most, Interlocked.Increment(ref open));
            await Task.Delay(100);
            Interlocked.Decrement(ref open);
            await http.Response.WriteAsync("ok");
        };
        await _workspace.Admin.CreateWebhookAsync(Json.Form(uri: _healthy.Url + "/fine", events: "task_added"));
        await PublishAsync("task_added", 0, 160);
        await Eventually.TrueAsync(() => _healthy.Count == 160, 30, "every delivery");
        output.WriteLine($"{most} requests open at once");
        Assert.InRange(most, Slots / 2, Slots); // far over a slow webhook's share of 4
    }
}
