using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Hookline.Tests.Support;
using Microsoft.AspNetCore.Http;
using Xunit.Abstractions;

namespace Hookline.Tests.Delivery;

/// <summary>
/// A webhook's delivery policy enforced on one node, with real receivers (./test.sh runs this suite on both stores; the same
/// across three nodes on PostgreSQL is in ScaleOutTests): its rate, its deliveries in flight, its order.
/// </summary>
[Collection(nameof(AloneOnTheMachine))]
public sealed class DeliveryPolicyTests(ITestOutputHelper output) : IAsyncLifetime
{
    private TestWorkspace _workspace = null!;
    private Receiver _receiver = null!;

    public async Task InitializeAsync()
    {
        _receiver = await Receiver.StartAsync();
        _workspace = await TestWorkspace.StartAsync(TestEvents.FastDelivery());
    }

    public async Task DisposeAsync()
    {
        _workspace.Dispose();
        await _receiver.DisposeAsync();
    }

    private async Task<Guid> HookAsync(string policy)
    {
        var hook = await _workspace.Admin.CreateWebhookAsync(Json.Form(uri: _receiver.Url + "/hook"));
        var put = await _workspace.Admin.PutAsync($"/api/v1/webhooks/{hook.Id}/policy", new StringContent(policy, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        return hook.Id;
    }

    private async Task PublishAsync(int events)
    {
        for (var from = 0; from < events; from += 500)
        {
            var batch = Enumerable.Range(from, Math.Min(500, events - from)).Select(i => TestEvents.Event(entityId: $"e{i}")).ToArray();
            Assert.Equal(HttpStatusCode.Accepted, (await _workspace.Publisher.PostAsJsonAsync("/api/v1/events/batch", batch)).StatusCode);
        }
    }

    private static int Number(Received r) => int.Parse(JsonDocument.Parse(r.Body).RootElement.GetProperty("entityId").GetString()![1..]);

    [Fact]
    public async Task MaxConcurrencyIsNeverExceeded()
    {
        var (open, most) = (0, 0);
        _receiver.Respond = async (_, http) =>
        {
            var now = Interlocked.Increment(ref open);
            Atomic.Max(ref most, now);
            await Task.Delay(100);
            Interlocked.Decrement(ref open);
            await http.Response.WriteAsync("ok");
        };
        await HookAsync("""{"maxConcurrency":3}""");
        await PublishAsync(60);
        await Eventually.TrueAsync(() => _receiver.Count == 60, 60, "every delivery");
        output.WriteLine($"at most {most} requests open at once");
        Assert.InRange(most, 2, 3); // at the cap, not over it (and not one at a time either)
    }

    [Fact]
    public async Task MaxPerSecondHoldsWithinTenPercentOverThirtySeconds()
    {
        await HookAsync("""{"maxPerSecond":20}""");
        await PublishAsync(1000);
        await Eventually.TrueAsync(() => _receiver.Count > 0, 10, "the first delivery");
        var first = _receiver.Requests.Min(r => r.At);
        await Task.Delay(first.AddSeconds(31) - DateTimeOffset.UtcNow);
        var inWindow = _receiver.Requests.Count(r => r.At < first.AddSeconds(30));
        output.WriteLine($"{inWindow} deliveries in the first 30 s at 20 a second (600 expected; a second's burst allowed)");
        Assert.InRange(inWindow, 540, 660);
    }

    [Fact]
    public async Task FifoDeliversInEventOrderAndARetryHoldsTheRestBack()
    {
        var failuresLeft = 2;
        _receiver.Respond = (r, http) =>
        {
            if (Number(r) == 3 && Interlocked.Decrement(ref failuresLeft) >= 0) http.Response.StatusCode = 503;
            return http.Response.WriteAsync("ok");
        };
        await HookAsync("""{"ordering":"fifo"}""");
        for (var i = 0; i < 20; i++) await _workspace.Publisher.PublishAsync(TestEvents.Event(entityId: $"e{i}"));
        await Eventually.TrueAsync(() => _receiver.Requests.Select(Number).Distinct().Count() == 20, 60, "every event");

        var attempts = _receiver.Requests.OrderBy(r => r.At).Select(Number).ToList();
        output.WriteLine(string.Join(" ", attempts));
        Assert.Equal([0, 1, 2, 3, 3, 3, .. Enumerable.Range(4, 16)], attempts);
    }
}
