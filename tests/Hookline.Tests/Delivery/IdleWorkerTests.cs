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
}
