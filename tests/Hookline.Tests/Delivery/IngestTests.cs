using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hookline.Auth;
using Hookline.Tests.Support;

namespace Hookline.Tests.Delivery;

/// <summary>Publishing events: who may, what is checked, what is queued. The worker is off so queues stay put.</summary>
public sealed class IngestTests : IDisposable
{
    private readonly HooklineFactory _app = new(new() { ["Hookline:Node:Worker"] = "false" });
    private readonly Guid _workspace = Guid.NewGuid();

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task AnEventIsQueuedOncePerMatchingActiveWebhook()
    {
        var admin = await _app.AdminAsync(_workspace);
        await admin.CreateWebhookAsync(Json.Form(events: "task_added,task_deleted"));
        await admin.CreateWebhookAsync(Json.Form(events: "task_added"));
        await admin.CreateWebhookAsync(Json.Form(events: "task_deleted"));
        await admin.CreateWebhookAsync(Json.Form(events: "task_added", isActive: false));
        await admin.CreateWebhookAsync(Json.Form(events: "task_added", onlyMain: true));
        var publisher = await _app.ClientAsync(_workspace, Permissions.EventsPublish);

        Assert.Equal(3, (await publisher.PublishAsync(TestEvents.Event("task_added"))).Deliveries);
        Assert.Equal(2, (await publisher.PublishAsync(TestEvents.Event("task_added", isMain: false))).Deliveries);
        Assert.Equal(2, (await publisher.PublishAsync(TestEvents.Event("task_deleted"))).Deliveries);
        Assert.Equal(0, (await publisher.PublishAsync(TestEvents.Event("project_added"))).Deliveries);
    }

    [Fact]
    public async Task EventNamesMatchWholeEntriesNotPrefixes()
    {
        var admin = await _app.AdminAsync(_workspace);
        await admin.CreateWebhookAsync(Json.Form(events: "task_comment_added"));
        var publisher = await _app.ClientAsync(_workspace, Permissions.EventsPublish);
        Assert.Equal(0, (await publisher.PublishAsync(TestEvents.Event("task_added"))).Deliveries);
    }

    [Fact]
    public async Task ASystemTokenPublishesToAnyWorkspaceAndAWorkspaceTokenOnlyToItsOwn()
    {
        var other = Guid.NewGuid();
        await (await _app.AdminAsync(other)).CreateWebhookAsync();
        var system = await _app.ClientAsync(null, Permissions.EventsPublish);
        Assert.Equal(1, (await system.PublishAsync(TestEvents.Event(workspaceId: other))).Deliveries);

        var withoutWorkspace = await system.PostAsJsonAsync("/api/v1/events", TestEvents.Event());
        Assert.Contains((await withoutWorkspace.ErrorAsync()).ValidationErrors!, e => e.Property == "workspaceId");

        var mine = await _app.ClientAsync(_workspace, Permissions.EventsPublish);
        var foreign = await mine.PostAsJsonAsync("/api/v1/events", TestEvents.Event(workspaceId: other));
        Assert.Equal(HttpStatusCode.BadRequest, foreign.StatusCode);
        Assert.Contains((await foreign.ErrorAsync()).ValidationErrors!, e => e.Property == "workspaceId");
    }

    [Theory]
    [InlineData(Permissions.Admin)]
    [InlineData(Permissions.ConfigWrite)]
    public async Task PublishingNeedsTheEventsPublishPermission(string permission)
    {
        var client = await _app.ClientAsync(_workspace, permission);
        var response = await client.PostAsJsonAsync("/api/v1/events", TestEvents.Event());
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("events:publish", (await response.ErrorAsync()).Description);
    }

    [Theory]
    [InlineData("""{"eventType":"nope"}""", "eventType")]
    [InlineData("""{"entityId":"x"}""", "eventType")]
    [InlineData("""{"eventType":7}""", "eventType")]
    [InlineData("""{"eventType":"task_added","entity":"text"}""", "entity")]
    [InlineData("""{"eventType":"task_added","triggeredBy":[1]}""", "triggeredBy")]
    [InlineData("""{"eventType":"task_added","changes":"x"}""", "changes")]
    [InlineData("""{"eventType":"task_added","isMainEntityChange":"no"}""", "isMainEntityChange")]
    [InlineData("""{"eventType":"task_added","timestamp":"yesterday"}""", "timestamp")]
    [InlineData("""{"eventType":"task_added","workspaceId":"not-a-uuid"}""", "workspaceId")]
    [InlineData("""{"eventType":"task_added","surprise":1}""", "surprise")]
    [InlineData("""[{"eventType":"task_added"}]""", "")]
    public async Task BadEventsAreRefusedNamingThePropertyAndNothingIsQueued(string body, string property)
    {
        var admin = await _app.AdminAsync(_workspace);
        await admin.CreateWebhookAsync();
        var publisher = await _app.ClientAsync(_workspace, Permissions.EventsPublish);
        var response = await publisher.PostAsync("/api/v1/events", Json.Body(body));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await response.ErrorAsync();
        Assert.Equal("validation-failed", error.Code);
        Assert.Contains(error.ValidationErrors!, e => (e.Property ?? "") == property);
        Assert.Equal(1, (await publisher.PublishAsync(TestEvents.Event())).Deliveries); // the queue works and held nothing extra
        Assert.Equal(0, await PendingAsync() - 1);
    }

    [Fact]
    public async Task ABatchIsOneTransactionAndOneBadEventRefusesItWhole()
    {
        var admin = await _app.AdminAsync(_workspace);
        await admin.CreateWebhookAsync();
        var publisher = await _app.ClientAsync(_workspace, Permissions.EventsPublish);

        var bad = await publisher.PostAsJsonAsync("/api/v1/events/batch", new[] { TestEvents.Event(), TestEvents.Event("nope"), TestEvents.Event() });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("[1].eventType", Assert.Single((await bad.ErrorAsync()).ValidationErrors!).Property);
        Assert.Equal(0, await PendingAsync());

        var ok = await publisher.PostAsJsonAsync("/api/v1/events/batch", Enumerable.Range(0, 250).Select(_ => TestEvents.Event()).ToArray());
        Assert.Equal(HttpStatusCode.Accepted, ok.StatusCode);
        var body = await ok.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(250, body.GetProperty("ids").GetArrayLength());
        Assert.Equal(250, body.GetProperty("deliveries").GetInt32());
        Assert.Equal(250, await PendingAsync());
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("{}")]
    public async Task ABatchMustBeANonEmptyArrayOfAtMost1000(string body)
    {
        var publisher = await _app.ClientAsync(_workspace, Permissions.EventsPublish);
        var response = await publisher.PostAsync("/api/v1/events/batch", Json.Body(body));
        Assert.Equal("validation-failed", (await response.ErrorAsync()).Code);
        var tooMany = await publisher.PostAsJsonAsync("/api/v1/events/batch", Enumerable.Range(0, 1001).Select(_ => new { eventType = "task_added" }));
        Assert.Equal("validation-failed", (await tooMany.ErrorAsync()).Code);
    }

    [Fact]
    public async Task AnOversizedBodyAnswers413RequestBodyTooLarge()
    {
        var publisher = await _app.ClientAsync(_workspace, Permissions.EventsPublish);
        var huge = TestEvents.Event(entity: new { blob = new string('x', 1_100_000) });
        var response = await publisher.PostAsJsonAsync("/api/v1/events", huge);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("request-body-too-large", (await response.ErrorAsync()).Code);
    }

    [Fact]
    public async Task ARepeatedIdempotencyKeyReplaysTheFirstAnswerAndQueuesNothing()
    {
        await (await _app.AdminAsync(_workspace)).CreateWebhookAsync();
        var publisher = await _app.ClientAsync(_workspace, Permissions.EventsPublish);
        var body = JsonSerializer.Serialize(TestEvents.Event(entityId: "fixed"));

        async Task<HttpResponseMessage> Send(string json)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/events") { Content = Json.Body(json) };
            request.Headers.Add("Idempotency-Key", "order-42");
            return await publisher.SendAsync(request);
        }

        var first = await Send(body);
        var again = await Send(body);
        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await again.Content.ReadAsStringAsync());
        Assert.Equal("true", again.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(1, await PendingAsync());

        var different = await Send(JsonSerializer.Serialize(TestEvents.Event(entityId: "other")));
        Assert.Equal(HttpStatusCode.Conflict, different.StatusCode);
        Assert.Equal("idempotency-key-reused", (await different.ErrorAsync()).Code);
        Assert.Equal(1, await PendingAsync());

        var otherWorkspace = await _app.ClientAsync(Guid.NewGuid(), Permissions.EventsPublish);
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/events") { Content = Json.Body(body) };
        request.Headers.Add("Idempotency-Key", "order-42");
        Assert.Equal(HttpStatusCode.Accepted, (await otherWorkspace.SendAsync(request)).StatusCode); // keys are per workspace
    }

    private Task<long> PendingAsync() => _app.ScalarAsync<long>("SELECT COUNT(*) FROM deliveries WHERE status = 0;");
}
