using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hookline.Tests.Support;
using Hookline.Webhooks;
using Microsoft.AspNetCore.Http;

namespace Hookline.Tests.Delivery;

/// <summary>
/// Hookline's own events about a workspace's webhooks, end to end over HTTP with real receivers (./test.sh runs this suite on
/// both stores): a failing streak is announced at half and four fifths of the pause threshold, then paused, then recovered after
/// the resume, each exactly once, signed, to the webhook that subscribes and never to the failing one.
/// </summary>
public sealed class OperationalEventsTests : IAsyncLifetime
{
    private const string OperationalTypes = "webhook_failing,webhook_paused,webhook_recovered,delivery_exhausted";
    private TestWorkspace _workspace = null!;
    private Receiver _receiver = null!;
    private volatile bool _failing = true;

    private HttpClient Admin => _workspace.Admin;
    private HttpClient Publisher => _workspace.Publisher;

    public async Task InitializeAsync()
    {
        _receiver = await Receiver.StartAsync();
        _receiver.Respond = (r, http) =>
        {
            if (r.Path == "/failing" && _failing) http.Response.StatusCode = 503;
            return http.Response.WriteAsync("ok");
        };
        // One retry, so that each of the streak's events is tried twice and the first exhausts while the webhook still runs.
        var settings = TestEvents.FastDelivery(("Hookline:Delivery:RetrySchedule:0", "00:00:00.050"));
        settings.Remove("Hookline:Delivery:RetrySchedule:1");
        settings.Remove("Hookline:Delivery:RetrySchedule:2");
        _workspace = await TestWorkspace.StartAsync(settings);
    }

    public async Task DisposeAsync()
    {
        _workspace.Dispose();
        await _receiver.DisposeAsync();
    }

    /// <summary>The operational events <paramref name="path"/> received, as they arrived.</summary>
    private List<(string Type, JsonElement Payload, Received Request)> Announced(string path) =>
        _receiver.Requests.Where(r => r.Path == path)
            .Select(r => (Payload: JsonDocument.Parse(r.Body).RootElement, Request: r))
            .Select(x => (Type: x.Payload.GetProperty("eventType").GetString()!, x.Payload, x.Request))
            .Where(x => OperationalTypes.Split(',').Contains(x.Type)).ToList();

    private async Task<WebhookConfig> GetAsync(Guid id) => (await Admin.GetFromJsonAsync<WebhookConfig>($"/api/v1/webhooks/{id}", Json.Web))!;

    [Fact]
    public async Task AFailingStreakIsAnnouncedAtEachWarningThenPausedThenRecoveredEachOnceAndNeverToItself()
    {
        var failing = await Admin.CreateWebhookAsync(Json.Form(name: "Orders", uri: _receiver.Url + "/failing?token=abc",
            events: "task_added," + OperationalTypes, authenticationType: "header", authentication: "X-Api-Key=s3cret"));
        var ops = await Admin.CreateWebhookAsync(Json.Form(name: "Ops", uri: _receiver.Url + "/ops", events: OperationalTypes));
        var opsSecret = (await Admin.GetFromJsonAsync<JsonElement>($"/api/v1/webhooks/{ops.Id}/secret")).GetProperty("key").GetString()!;

        // Five events, two attempts each: the tenth failure pauses (the default threshold), after warnings at 5 and 8.
        for (var i = 0; i < 5; i++)
        {
            await Publisher.PublishAsync(TestEvents.Event(entityId: $"e{i}"));
            await Eventually.TrueAsync(() => _receiver.Requests.Count(r => r.Path == "/failing") >= 2 * (i + 1), what: $"both attempts of e{i}");
        }
        await Eventually.TrueAsync(async () => !(await GetAsync(failing.Id)).IsActive, what: "the pause");
        await Eventually.TrueAsync(() => Announced("/ops").Any(a => a.Type == "webhook_paused"), what: "webhook_paused at /ops");

        _failing = false;
        var resumed = await Admin.PutAsJsonAsync($"/api/v1/webhooks/{failing.Id}", Json.Form(name: "Orders", uri: failing.Uri,
            events: failing.Events, authenticationType: "header", authentication: "X-Api-Key=s3cret"));
        Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
        await Publisher.PublishAsync(TestEvents.Event(entityId: "after"));
        await Eventually.TrueAsync(() => Announced("/ops").Any(a => a.Type == "webhook_recovered"), what: "webhook_recovered at /ops");
        await Publisher.PublishAsync(TestEvents.Event(entityId: "later")); // a second success is no news
        await Eventually.TrueAsync(() => _receiver.Requests.Any(r => r.Path == "/failing" && r.Body.Contains("\"later\"")));
        await Task.Delay(500);

        var announced = Announced("/ops"); // in any order: two announcements may be sent at once
        Assert.Equal(["webhook_failing", "webhook_failing", "webhook_paused", "webhook_recovered"],
            announced.Where(a => a.Type != "delivery_exhausted").Select(a => a.Type).Order());
        Assert.Equal([5, 8], announced.Where(a => a.Type == "webhook_failing")
            .Select(a => a.Payload.GetProperty("entity").GetProperty("consecutiveFailures").GetInt32()).Order());
        Assert.Equal([2, 5], announced.Where(a => a.Type == "webhook_failing")
            .Select(a => a.Payload.GetProperty("entity").GetProperty("failuresUntilPause").GetInt32()).Order());
        var exhausted = announced.Where(a => a.Type == "delivery_exhausted").ToList();
        Assert.NotEmpty(exhausted); // the events whose two attempts both failed before the pause cancelled the rest
        Assert.All(exhausted, a => Assert.Equal(2, a.Payload.GetProperty("entity").GetProperty("delivery").GetProperty("attempts").GetInt32()));
        foreach (var (type, payload, request) in announced)
        {
            Assert.True(StandardWebhooksVerifier.Verify(opsSecret, request.Header("webhook-id"), request.Header("webhook-timestamp"), request.Body,
                request.Header("webhook-signature"), DateTimeOffset.UtcNow), $"{type} is signed with the receiving webhook's secret");
            var entity = payload.GetProperty("entity");
            Assert.Equal(failing.Id.ToString(), payload.GetProperty("entityId").GetString());
            Assert.Equal("webhook", payload.GetProperty("entityType").GetString());
            Assert.Equal("Orders", entity.GetProperty("name").GetString());
            Assert.Equal(10, entity.GetProperty("pauseAfterConsecutiveFailures").GetInt32());
            Assert.False(entity.TryGetProperty("authentication", out _)); // the header value is a secret
            Assert.Equal(_receiver.Url + "/failing", entity.GetProperty("uri").GetString()); // without its query
            Assert.DoesNotContain("s3cret", request.Body);
            Assert.DoesNotContain("token=abc", request.Body);
        }
        var paused = announced.Single(a => a.Type == "webhook_paused").Payload.GetProperty("entity");
        Assert.False(paused.GetProperty("isActive").GetBoolean());
        Assert.StartsWith("Paused after 10 consecutive failed attempts", paused.GetProperty("lastFailureReason").GetString());
        Assert.Equal(0, announced.Single(a => a.Type == "webhook_recovered").Payload.GetProperty("entity").GetProperty("consecutiveFailures").GetInt32());

        Assert.Empty(Announced("/failing")); // subscribed to them all, yet never told about itself
        await Eventually.TrueAsync(async () => (await Admin.ListAsync<WebhookLog>($"/api/v1/webhooks/{ops.Id}/logs")).Count == announced.Count,
            what: "a log row for each (logged like any delivery)");
    }

    [Fact]
    public async Task AProducerCannotPublishAnOperationalEventAndTheCataloguesListThem()
    {
        var response = await Publisher.PostAsJsonAsync("/api/v1/events", TestEvents.Event("webhook_paused"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("Hookline publishes it itself", error.GetProperty("validationErrors")[0].GetProperty("message").GetString());

        foreach (var path in new[] { "/api/v1/webhooks/eventtypes", "/api/v1/webhooks/eventtypes/slack" })
        {
            var types = await Admin.GetFromJsonAsync<string[]>(path);
            Assert.Subset(types!.ToHashSet(), OperationalTypes.Split(',').ToHashSet());
        }
        var hook = await Admin.CreateWebhookAsync(Json.Form(events: OperationalTypes));
        Assert.Equal(OperationalTypes, hook.Events);
    }

    [Fact]
    public void ThePortalsExampleOfEachIsWhatHooklineSends()
    {
        foreach (var type in OperationalTypes.Split(','))
        {
            var example = JsonDocument.Parse(Hookline.Portal.EventExamples.For(type)).RootElement;
            Assert.Equal(type, example.GetProperty("eventType").GetString());
            Assert.Equal("webhook", example.GetProperty("entityType").GetString());
            Assert.Equal(10, example.GetProperty("entity").GetProperty("pauseAfterConsecutiveFailures").GetInt32());
            Assert.False(example.GetProperty("entity").TryGetProperty("authentication", out _));
            Assert.Equal(type == "delivery_exhausted", example.GetProperty("entity").GetProperty("delivery").ValueKind == JsonValueKind.Object);
        }
    }
}
