using Hookline.Auth;
using Hookline.Delivery;
using Hookline.Storage;
using Hookline.Tests.Support;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;

namespace Hookline.Tests.Delivery;

public sealed class RetryTests
{
    private static readonly DateTimeOffset Now = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan[] Schedule = [TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2)];
    private static SendOutcome Failed(TimeSpan? retryAfter = null, string? pause = null) => new(false, 500, "HTTP 500", null, 1, retryAfter, pause);

    [Fact]
    public void EachRetryWaitsItsScheduledStepWithinTenPercentJitter()
    {
        var random = new Random(7);
        for (var attempt = 1; attempt <= Schedule.Length; attempt++)
        {
            var waits = Enumerable.Range(0, 200)
                .Select(_ => RetryPolicy.Next(attempt, 4, Failed(), Now, Schedule, TimeSpan.FromHours(1), random)!.Value - Now).ToList();
            var step = Schedule[attempt - 1];
            Assert.All(waits, w => Assert.InRange(w, step * 0.9, step * 1.1));
            Assert.True(waits.Distinct().Count() > 100, "jitter spreads retries");
        }
    }

    [Fact]
    public void NoRetryFollowsSuccessA410OrTheLastAttempt()
    {
        Assert.Null(RetryPolicy.Next(1, 4, new SendOutcome(true, 200, null, null, 1), Now, Schedule, TimeSpan.FromHours(1), new Random(1)));
        Assert.Null(RetryPolicy.Next(1, 4, Failed(pause: "gone"), Now, Schedule, TimeSpan.FromHours(1), new Random(1)));
        Assert.Null(RetryPolicy.Next(4, 4, Failed(), Now, Schedule, TimeSpan.FromHours(1), new Random(1)));
    }

    [Theory]
    [InlineData(90, 90)]
    [InlineData(0, 1)]
    [InlineData(86_400, 3600)]
    public void RetryAfterIsHonouredWithinBounds(int askedSeconds, int expectedSeconds)
    {
        var next = RetryPolicy.Next(1, 4, Failed(TimeSpan.FromSeconds(askedSeconds)), Now, Schedule, TimeSpan.FromHours(1), new Random(1));
        Assert.Equal(Now.AddSeconds(expectedSeconds), next);
    }

    [Fact]
    public async Task A429WithRetryAfterIsTriedAgainExactlyThenOnTheInjectedClock()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var receiver = await Receiver.StartAsync();
        var calls = 0;
        receiver.Respond = (_, http) =>
        {
            if (Interlocked.Increment(ref calls) > 1) return http.Response.WriteAsync("ok");
            http.Response.StatusCode = 429;
            http.Response.Headers.RetryAfter = "600";
            return Task.CompletedTask;
        };
        using var app = new HooklineFactory(TestEvents.FastDelivery(("Hookline:Delivery:MaxRetryAfter", "00:02:00")), time);
        var workspace = Guid.NewGuid();
        await (await app.AdminAsync(workspace)).CreateWebhookAsync(Json.Form(uri: receiver.Url));
        var start = time.GetUtcNow();
        await (await app.ClientAsync(workspace, Permissions.EventsPublish)).PublishAsync(TestEvents.Event());

        var store = app.Service<IDeliveryStore>();
        await Eventually.TrueAsync(async () => (await store.GetAsync(1))?.Attempts == 1, what: "the first attempt recorded");
        var state = (await store.GetAsync(1))!;
        Assert.Equal(DeliveryStatus.Pending, state.Status);
        Assert.Equal(start.AddMinutes(2).ToUnixTimeMilliseconds(), state.DueAt.ToUnixTimeMilliseconds());

        time.Advance(TimeSpan.FromSeconds(119));
        await Task.Delay(300);
        Assert.Equal(1, receiver.Count);
        time.Advance(TimeSpan.FromSeconds(1));
        await Eventually.TrueAsync(() => receiver.Count == 2, what: "the retry once Retry-After has passed");
        await Eventually.TrueAsync(async () => (await store.GetAsync(1))!.Status == DeliveryStatus.Succeeded);
    }
}
