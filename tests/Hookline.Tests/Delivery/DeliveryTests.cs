using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hookline.Auth;
using Hookline.Delivery;
using Hookline.Tests.Support;
using Hookline.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Hookline.Tests.Delivery;

/// <summary>End to end: events published over HTTP reach real receivers on 127.0.0.1, signed, retried and logged.</summary>
public sealed class DeliveryTests : IAsyncLifetime
{
    private readonly Guid _workspace = Guid.NewGuid();
    private HooklineFactory _app = null!;
    private Receiver _receiver = null!;
    private HttpClient _admin = null!;
    private HttpClient _publisher = null!;

    public async Task InitializeAsync()
    {
        _receiver = await Receiver.StartAsync();
        await StartAsync(TestEvents.FastDelivery());
    }

    private async Task StartAsync(Dictionary<string, string?> settings)
    {
        _app = new HooklineFactory(settings);
        _admin = await _app.AdminAsync(_workspace);
        _publisher = await _app.ClientAsync(_workspace, Permissions.EventsPublish);
    }

    public async Task DisposeAsync()
    {
        _app.Dispose();
        await _receiver.DisposeAsync();
    }

    private Task<WebhookConfig> HookAsync(string events = "task_added", string? authentication = null, string path = "/hook") =>
        _admin.CreateWebhookAsync(Json.Form(uri: _receiver.Url + path, events: events,
            authenticationType: authentication is null ? "none" : "header", authentication: authentication));

    private async Task<List<WebhookLog>> LogsAsync(Guid webhook, string query = "") =>
        await _admin.ListAsync<WebhookLog>($"/api/v1/webhooks/{webhook}/logs{query}");

    private async Task<WebhookConfig> GetAsync(Guid webhook) =>
        (await _admin.GetFromJsonAsync<WebhookConfig>($"/api/v1/webhooks/{webhook}", Json.Web))!;

    [Fact]
    public async Task AReceiverGetsAworksPayloadWithStandardWebhooksHeadersAndTheConfiguredHeader()
    {
        var hook = await HookAsync(authentication: "X-Api-Key=s3cret");
        var secret = (await _admin.GetFromJsonAsync<JsonElement>($"/api/v1/webhooks/{hook.Id}/secret")).GetProperty("key").GetString()!;
        await _publisher.PublishAsync(TestEvents.Event("task_added", entityId: "42"));

        await Eventually.TrueAsync(() => _receiver.Count == 1);
        var request = _receiver.Requests[0];
        Assert.Equal("/hook", request.Path);
        Assert.StartsWith("application/json", request.Header("content-type"));
        Assert.StartsWith("Hookline/", request.Header("user-agent"));
        Assert.Equal("s3cret", request.Header("x-api-key"));
        Assert.StartsWith("msg_", request.Header("webhook-id"));
        Assert.True(StandardWebhooksVerifier.Verify(secret, request.Header("webhook-id"), request.Header("webhook-timestamp"), request.Body,
            request.Header("webhook-signature"), DateTimeOffset.UtcNow));

        var payload = JsonDocument.Parse(request.Body).RootElement;
        Assert.Equal(["timestamp", "eventType", "entity", "entityId", "entityType", "entityLink", "traceId", "triggeredBy", "changes"],
            payload.EnumerateObject().Select(p => p.Name));
        Assert.Equal("task_added", payload.GetProperty("eventType").GetString());
        Assert.Equal("42", payload.GetProperty("entityId").GetString());
        Assert.Equal("Write the release notes", payload.GetProperty("entity").GetProperty("name").GetString());
        Assert.Equal("Carla", payload.GetProperty("triggeredBy").GetProperty("firstName").GetString());
        Assert.EndsWith("Z", payload.GetProperty("timestamp").GetString());

        await Eventually.TrueAsync(async () => (await LogsAsync(hook.Id)).Count == 1);
        var log = Assert.Single(await LogsAsync(hook.Id));
        Assert.Equal((true, 200, 1, "task_added", "ok"), (log.IsSuccessful, log.ResponseCode, log.Attempt, log.EventType, log.ResponseBody));
        Assert.Equal(request.Body, log.Message);
        Assert.Null(log.Reason);
    }

    [Fact]
    public async Task OneEventFansOutToEverySubscribedWebhookAndNoOther()
    {
        var subscribed = new List<WebhookConfig>();
        for (var i = 0; i < 20; i++) subscribed.Add(await HookAsync(path: $"/h{i}"));
        await HookAsync(events: "task_deleted", path: "/other");
        await _admin.CreateWebhookAsync(Json.Form(uri: _receiver.Url + "/main-only", events: "task_added", onlyMain: true));

        var (_, deliveries) = await _publisher.PublishAsync(TestEvents.Event("task_added", isMain: false));

        Assert.Equal(20, deliveries);
        await Eventually.TrueAsync(() => _receiver.Count == 20);
        Assert.Equal(subscribed.Select((_, i) => $"/h{i}").Order(), _receiver.Requests.Select(r => r.Path).Order());
        Assert.Equal(20, _receiver.Requests.Select(r => r.Header("webhook-id")).Distinct().Count());
    }

    [Theory]
    [InlineData(500)]
    [InlineData(503)]
    [InlineData(302)]
    [InlineData(404)]
    public async Task AFailedAttemptIsRetriedWithTheSameWebhookIdUntilItSucceeds(int status)
    {
        var hook = await HookAsync();
        _receiver.AnswerInTurn(status, status);
        await _publisher.PublishAsync(TestEvents.Event());

        await Eventually.TrueAsync(() => _receiver.Count == 3);
        Assert.Single(_receiver.Requests.Select(r => r.Header("webhook-id")).Distinct());
        await Eventually.TrueAsync(async () => (await LogsAsync(hook.Id)).Count == 3);
        var logs = await LogsAsync(hook.Id, "?orderby=attempt");
        Assert.Equal([1, 2, 3], logs.Select(l => l.Attempt));
        Assert.Equal([status, status, 200], logs.Select(l => l.ResponseCode));
        Assert.Equal([false, false, true], logs.Select(l => l.IsSuccessful));
        Assert.StartsWith($"HTTP {status}", logs[0].Reason);
        Assert.Equal($"HTTP {status}", (await GetAsync(hook.Id)).LastFailureReason![..8]);
        if (status == 302) Assert.Contains("redirects are not followed", logs[0].Reason);
    }

    [Fact]
    public async Task AnAcceptedEventWakesTheWorkerWithoutWaitingForItsPoll()
    {
        _app.Dispose();
        await StartAsync(TestEvents.FastDelivery(("Hookline:Delivery:PollInterval", "00:01:00")));
        await HookAsync();
        for (var i = 1; i <= 3; i++)
        {
            await _publisher.PublishAsync(TestEvents.Event());
            // far sooner than the minute-long poll: in process by the signal, on PostgreSQL by NOTIFY after the commit
            await Eventually.TrueAsync(() => _receiver.Count == i, 10, $"delivery {i}");
        }
    }

    [Fact]
    public async Task ATimeoutIsAFailureThatIsRetried()
    {
        _app.Dispose();
        await StartAsync(TestEvents.FastDelivery(("Hookline:Delivery:Timeout", "00:00:01"), ("Hookline:Delivery:Lease", "00:00:05")));
        var hook = await HookAsync();
        var calls = 0;
        _receiver.Respond = async (_, http) =>
        {
            if (Interlocked.Increment(ref calls) == 1) await Task.Delay(5000, http.RequestAborted).ContinueWith(_ => { });
            await http.Response.WriteAsync("ok");
        };
        await _publisher.PublishAsync(TestEvents.Event());

        await Eventually.TrueAsync(async () => (await LogsAsync(hook.Id)).Any(l => l.IsSuccessful));
        var logs = await LogsAsync(hook.Id, "?orderby=attempt");
        Assert.Equal(2, logs.Count);
        Assert.Equal(0, logs[0].ResponseCode);
        Assert.Contains("timeout", logs[0].Reason);
    }

    [Fact]
    public async Task ConnectionRefusedIsRetriedAndSucceedsOnceTheReceiverIsBack()
    {
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nothing listens on the port now
        _app.Dispose();
        await StartAsync(TestEvents.FastDelivery(("Hookline:Delivery:RetrySchedule:0", "00:00:00.100"), ("Hookline:Delivery:RetrySchedule:1", "00:00:02")));
        var hook = await _admin.CreateWebhookAsync(Json.Form(uri: $"http://127.0.0.1:{port}/late"));
        await _publisher.PublishAsync(TestEvents.Event());

        await Eventually.TrueAsync(async () => (await LogsAsync(hook.Id)).Count == 2, what: "two refused attempts");
        await using var late = await LateReceiverAsync(port);
        await Eventually.TrueAsync(async () => (await LogsAsync(hook.Id)).Any(l => l.IsSuccessful), what: "the third attempt");
        var logs = await LogsAsync(hook.Id, "?orderby=attempt");
        Assert.All(logs.Take(2), l => Assert.Contains("refused", l.Reason, StringComparison.OrdinalIgnoreCase));
    }

    private static async Task<WebApplication> LateReceiverAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        app.Run(http => http.Response.WriteAsync("ok"));
        await app.StartAsync();
        return app;
    }

    [Fact]
    public async Task ExhaustedRetriesEndTheDeliveryAndRecoverQueuesItAgain()
    {
        var hook = await HookAsync();
        _receiver.AnswerInTurn(500, 500, 500, 500);
        var since = DateTimeOffset.UtcNow.AddMinutes(-1);
        await _publisher.PublishAsync(TestEvents.Event());

        await Eventually.TrueAsync(async () => (await LogsAsync(hook.Id)).Count == 4, what: "1 attempt + 3 retries");
        await Task.Delay(300); // no fifth attempt follows: the schedule has three retries
        Assert.Equal(4, _receiver.Count);

        var response = await _admin.PostAsync($"/api/v1/webhooks/{hook.Id}/recover?since={Uri.EscapeDataString(since.ToString("O"))}", null);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(1, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("requeued").GetInt32());
        await Eventually.TrueAsync(() => _receiver.Count == 5);
        Assert.Single(_receiver.Requests.Select(r => r.Header("webhook-id")).Distinct());
    }

    [Fact]
    public async Task RedeliverSendsTheSameDeliveryAgainWithTheSameWebhookId()
    {
        var hook = await HookAsync();
        await _publisher.PublishAsync(TestEvents.Event());
        await Eventually.TrueAsync(async () => (await LogsAsync(hook.Id)).Count == 1);
        var log = (await LogsAsync(hook.Id))[0];

        var response = await _admin.PostAsync($"/api/v1/webhooks/{hook.Id}/logs/{log.Id}/redeliver", null);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await Eventually.TrueAsync(() => _receiver.Count == 2);
        Assert.Equal(_receiver.Requests[0].Header("webhook-id"), _receiver.Requests[1].Header("webhook-id"));
        Assert.Equal(_receiver.Requests[0].Body, _receiver.Requests[1].Body);

        var unknown = await _admin.PostAsync($"/api/v1/webhooks/{hook.Id}/logs/{Guid.NewGuid()}/redeliver", null);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task A410PausesTheWebhookAtOnceAndCancelsItsQueue()
    {
        var hook = await HookAsync();
        _receiver.Respond = (_, http) => { http.Response.StatusCode = 410; return Task.CompletedTask; };
        await _publisher.PublishAsync(TestEvents.Event());

        await Eventually.TrueAsync(async () => !(await GetAsync(hook.Id)).IsActive);
        var paused = await GetAsync(hook.Id);
        Assert.Contains("410", paused.LastFailureReason);
        Assert.Equal(0, (await _publisher.PublishAsync(TestEvents.Event())).Deliveries);
        Assert.Equal(1, _receiver.Count);
    }

    [Fact]
    public async Task ConsecutiveFailuresPauseTheWebhookAndReactivationResumesNewEvents()
    {
        _app.Dispose();
        await StartAsync(TestEvents.FastDelivery(("Hookline:Delivery:PauseAfterConsecutiveFailures", "3"),
            ("Hookline:Delivery:RetrySchedule:0", "00:00:00.050"), ("Hookline:Delivery:RetrySchedule:1", "00:00:30")));
        var hook = await HookAsync();
        _receiver.Respond = (_, http) => { http.Response.StatusCode = 500; return Task.CompletedTask; };
        for (var i = 0; i < 3; i++) await _publisher.PublishAsync(TestEvents.Event(entityId: $"e{i}"));

        await Eventually.TrueAsync(async () => !(await GetAsync(hook.Id)).IsActive, what: "the pause");
        var paused = await GetAsync(hook.Id);
        Assert.StartsWith("Paused after 3 consecutive failed attempts", paused.LastFailureReason);
        // An attempt already in flight when the pause was committed may still arrive (seen on PostgreSQL under load); once
        // those are in, the cancelled queue sends nothing more.
        int sent;
        do { sent = _receiver.Count; await Task.Delay(150); } while (_receiver.Count != sent);
        await Task.Delay(300);
        Assert.Equal(sent, _receiver.Count);

        _receiver.Respond = (_, http) => http.Response.WriteAsync("ok");
        var reactivated = await _admin.PutAsJsonAsync($"/api/v1/webhooks/{hook.Id}", Json.Form(uri: hook.Uri, events: hook.Events));
        Assert.True((await reactivated.Content.ReadFromJsonAsync<WebhookConfig>(Json.Web))!.IsActive);
        await _publisher.PublishAsync(TestEvents.Event(entityId: "after"));
        await Eventually.TrueAsync(() => _receiver.Requests.Any(r => r.Body.Contains("\"after\"")));
        Assert.Equal(paused.LastFailureReason, (await GetAsync(hook.Id)).LastFailureReason); // a success keeps the history
    }

    [Fact]
    public async Task DeletingAWebhookCancelsItsQueuedDeliveries()
    {
        _app.Dispose();
        await StartAsync(TestEvents.FastDelivery(("Hookline:Delivery:RetrySchedule:0", "00:00:01")));
        var hook = await HookAsync();
        _receiver.AnswerInTurn(500);
        await _publisher.PublishAsync(TestEvents.Event());
        await Eventually.TrueAsync(() => _receiver.Count == 1);

        Assert.Equal(HttpStatusCode.NoContent, (await _admin.DeleteAsync($"/api/v1/webhooks/{hook.Id}")).StatusCode);
        await Task.Delay(1500);
        Assert.Equal(1, _receiver.Count);
    }

    [Fact]
    public async Task PrivateAddressesAreRefusedUnlessAllowedAndTheReasonSaysHowToAllowThem()
    {
        _app.Dispose();
        await StartAsync(TestEvents.FastDelivery(("Hookline:Delivery:AllowPrivateNetworks", "false")));
        var hook = await HookAsync();
        await _publisher.PublishAsync(TestEvents.Event());

        await Eventually.TrueAsync(async () => (await LogsAsync(hook.Id)).Count >= 1);
        var log = (await LogsAsync(hook.Id))[0];
        Assert.Contains("loopback", log.Reason);
        Assert.Contains("Hookline:Delivery:AllowPrivateNetworks=true", log.Reason);
        Assert.Equal(0, _receiver.Count);

        var test = await (await _admin.PostAsync($"/api/v1/webhooks/{hook.Id}/test", null)).Content.ReadFromJsonAsync<WebhookTestResult>(Json.Web);
        Assert.False(test!.IsSuccessful);
        Assert.Contains("AllowPrivateNetworks", test.Reason);
    }

    [Fact]
    public async Task TheTestEndpointSendsASignedTestEventNowAndLogsIt()
    {
        var hook = await HookAsync();
        var response = await _admin.PostAsync($"/api/v1/webhooks/{hook.Id}/test", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = (await response.Content.ReadFromJsonAsync<WebhookTestResult>(Json.Web))!;
        Assert.Equal((200, true, null), (result.ResponseCode, result.IsSuccessful, result.Reason));
        var request = Assert.Single(_receiver.Requests);
        Assert.Contains("\"webhook_test\"", request.Body);
        Assert.NotEqual("", request.Header("webhook-signature"));
        Assert.Equal(DeliveryApi.TestEventType, Assert.Single(await LogsAsync(hook.Id)).EventType);

        _receiver.Respond = (_, http) => { http.Response.StatusCode = 418; return http.Response.WriteAsync("teapot"); };
        var failed = (await (await _admin.PostAsync($"/api/v1/webhooks/{hook.Id}/test", null)).Content.ReadFromJsonAsync<WebhookTestResult>(Json.Web))!;
        Assert.Equal((418, false), (failed.ResponseCode, failed.IsSuccessful));
        Assert.StartsWith("HTTP 418", failed.Reason);
    }

    [Fact]
    public async Task RotatingTheSecretSignsWithBothDuringTheGracePeriod()
    {
        var hook = await HookAsync();
        var old = (await _admin.GetFromJsonAsync<JsonElement>($"/api/v1/webhooks/{hook.Id}/secret")).GetProperty("key").GetString()!;
        var rotated = await _admin.PostAsync($"/api/v1/webhooks/{hook.Id}/secret/rotate", null);
        var fresh = (await rotated.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
        Assert.NotEqual(old, fresh);
        Assert.Equal(fresh, (await _admin.GetFromJsonAsync<JsonElement>($"/api/v1/webhooks/{hook.Id}/secret")).GetProperty("key").GetString());

        await _publisher.PublishAsync(TestEvents.Event());
        await Eventually.TrueAsync(() => _receiver.Count == 1);
        var r = _receiver.Requests[0];
        Assert.Equal(2, r.Header("webhook-signature").Split(' ').Length);
        foreach (var key in new[] { old, fresh })
            Assert.True(StandardWebhooksVerifier.Verify(key, r.Header("webhook-id"), r.Header("webhook-timestamp"), r.Body, r.Header("webhook-signature"), DateTimeOffset.UtcNow));
        Assert.DoesNotContain(old, await (await _admin.GetAsync($"/api/v1/webhooks/{hook.Id}")).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task WithNoGracePeriodOnlyTheNewSecretSigns()
    {
        _app.Dispose();
        await StartAsync(TestEvents.FastDelivery(("Hookline:Delivery:SecretGracePeriod", "00:00:00")));
        var hook = await HookAsync();
        var old = (await _admin.GetFromJsonAsync<JsonElement>($"/api/v1/webhooks/{hook.Id}/secret")).GetProperty("key").GetString()!;
        await _admin.PostAsync($"/api/v1/webhooks/{hook.Id}/secret/rotate", null);
        await _publisher.PublishAsync(TestEvents.Event());
        await Eventually.TrueAsync(() => _receiver.Count == 1);
        var r = _receiver.Requests[0];
        Assert.Single(r.Header("webhook-signature").Split(' '));
        Assert.False(StandardWebhooksVerifier.Verify(old, r.Header("webhook-id"), r.Header("webhook-timestamp"), r.Body, r.Header("webhook-signature"), DateTimeOffset.UtcNow));
    }

    [NodeFact]
    public async Task SwitchingToEd25519SignsWithBothKindsDuringTheGracePeriodAndNodeVerifiesTheKeysTheApiShows()
    {
        var hook = await HookAsync();
        var old = await SecretAsync(hook.Id);
        Assert.Equal(Signing.Hmac, old.GetProperty("algorithm").GetString());
        var switched = await RotateAsync(hook.Id, "?algorithm=ed25519");
        var first = switched.GetProperty("key").GetString()!;
        Assert.Matches("^whpk_[A-Za-z0-9+/]{43}=$", first);
        Assert.Equal(Signing.Ed25519, switched.GetProperty("algorithm").GetString());
        Assert.Equal(first, (await SecretAsync(hook.Id)).GetProperty("key").GetString());

        await _publisher.PublishAsync(TestEvents.Event());
        await Eventually.TrueAsync(() => _receiver.Count == 1);
        var r = _receiver.Requests[0];
        Assert.Equal(["v1", "v1a"], r.Header("webhook-signature").Split(' ').Select(s => s[..s.IndexOf(',')]).Order());
        Assert.True(StandardWebhooksVerifier.Verify(old.GetProperty("key").GetString()!, r.Header("webhook-id"), r.Header("webhook-timestamp"), r.Body,
            r.Header("webhook-signature"), DateTimeOffset.UtcNow));
        Assert.True(await NodeEd25519.VerifyAsync(first, r.Header("webhook-id"), r.Header("webhook-timestamp"), r.Body, r.Header("webhook-signature")));

        // Rotating again keeps the kind: a second key pair, and both public keys verify while the first is in its grace period.
        var second = (await RotateAsync(hook.Id, "")).GetProperty("key").GetString()!;
        Assert.StartsWith("whpk_", second);
        Assert.NotEqual(first, second);
        await _publisher.PublishAsync(TestEvents.Event(entityId: "e2"));
        await Eventually.TrueAsync(() => _receiver.Count == 2);
        r = _receiver.Requests[1];
        Assert.Equal(["v1", "v1a", "v1a"], r.Header("webhook-signature").Split(' ').Select(s => s[..s.IndexOf(',')]).Order());
        foreach (var key in new[] { first, second })
            Assert.True(await NodeEd25519.VerifyAsync(key, r.Header("webhook-id"), r.Header("webhook-timestamp"), r.Body, r.Header("webhook-signature")));
        Assert.False(await NodeEd25519.VerifyAsync(second, r.Header("webhook-id"), r.Header("webhook-timestamp"), r.Body + " ", r.Header("webhook-signature")));
    }

    [NodeFact]
    public async Task AnEd25519WebhookAloneSignsOnlyV1aAndCanSwitchBack()
    {
        _app.Dispose();
        await StartAsync(TestEvents.FastDelivery(("Hookline:Delivery:SecretGracePeriod", "00:00:00")));
        var hook = await HookAsync();
        var publicKey = (await RotateAsync(hook.Id, "?algorithm=ed25519")).GetProperty("key").GetString()!;
        await _publisher.PublishAsync(TestEvents.Event());
        await Eventually.TrueAsync(() => _receiver.Count == 1);
        var r = _receiver.Requests[0];
        Assert.StartsWith("v1a,", Assert.Single(r.Header("webhook-signature").Split(' ')));
        Assert.True(await NodeEd25519.VerifyAsync(publicKey, r.Header("webhook-id"), r.Header("webhook-timestamp"), r.Body, r.Header("webhook-signature")));
        var test = await _admin.PostAsync($"/api/v1/webhooks/{hook.Id}/test", null);
        Assert.Equal(HttpStatusCode.OK, test.StatusCode);
        var t = _receiver.Requests[1];
        Assert.True(await NodeEd25519.VerifyAsync(publicKey, t.Header("webhook-id"), t.Header("webhook-timestamp"), t.Body, t.Header("webhook-signature")));

        var back = await RotateAsync(hook.Id, "?algorithm=hmac-sha256");
        Assert.StartsWith("whsec_", back.GetProperty("key").GetString());
        await _publisher.PublishAsync(TestEvents.Event(entityId: "e2"));
        await Eventually.TrueAsync(() => _receiver.Count == 3);
        r = _receiver.Requests[2];
        Assert.StartsWith("v1,", Assert.Single(r.Header("webhook-signature").Split(' ')));
        Assert.True(StandardWebhooksVerifier.Verify(back.GetProperty("key").GetString()!, r.Header("webhook-id"), r.Header("webhook-timestamp"), r.Body,
            r.Header("webhook-signature"), DateTimeOffset.UtcNow));
    }

    [Theory]
    [InlineData("rsa")]
    [InlineData("ED25519")]
    [InlineData("")]
    public async Task AnUnknownSigningAlgorithmIsRefusedAndChangesNothing(string algorithm)
    {
        var hook = await HookAsync();
        var before = (await SecretAsync(hook.Id)).GetProperty("key").GetString();
        var response = await _admin.PostAsync($"/api/v1/webhooks/{hook.Id}/secret/rotate?algorithm={algorithm}", null);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await response.ErrorAsync();
        Assert.Equal("validation-failed", error.Code);
        Assert.Equal("'algorithm' must be 'hmac-sha256' or 'ed25519'.", Assert.Single(error.ValidationErrors!).Message);
        Assert.Equal(before, (await SecretAsync(hook.Id)).GetProperty("key").GetString());
    }

    private async Task<JsonElement> SecretAsync(Guid id) => await _admin.GetFromJsonAsync<JsonElement>($"/api/v1/webhooks/{id}/secret");

    private async Task<JsonElement> RotateAsync(Guid id, string query)
    {
        var response = await _admin.PostAsync($"/api/v1/webhooks/{id}/secret/rotate{query}", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Fact]
    public async Task LogsKeepTheFirst4KiBOfTheAnswerAndPage()
    {
        var hook = await HookAsync();
        _receiver.Respond = (_, http) => http.Response.WriteAsync(new string('a', 10_000));
        for (var i = 0; i < 5; i++) await _publisher.PublishAsync(TestEvents.Event(entityId: $"e{i}"));
        await Eventually.TrueAsync(async () => (await LogsAsync(hook.Id)).Count == 5);

        var page = await _admin.GetAsync($"/api/v1/webhooks/{hook.Id}/logs?page=2&pageSize=2");
        Assert.Equal("5", page.Headers.GetValues("aw-totalitems").Single());
        var logs = (await page.Content.ReadFromJsonAsync<List<WebhookLog>>(Json.Web))!;
        Assert.Equal(2, logs.Count);
        Assert.All(logs, l => Assert.Equal(4096, l.ResponseBody!.Length));
        Assert.All(logs, l => Assert.True(l.DurationMs >= 0));
    }

    [Fact]
    public async Task AGracefulStopLetsTheAttemptInFlightFinishAndRecordsIt()
    {
        var hook = await HookAsync();
        _receiver.Respond = async (_, http) => { await Task.Delay(1000); await http.Response.WriteAsync("late but fine"); };
        await _publisher.PublishAsync(TestEvents.Event());
        await Eventually.TrueAsync(() => _receiver.Count == 1, what: "the attempt in flight");

        var lifetime = _app.Service<Microsoft.Extensions.Hosting.IHostApplicationLifetime>();
        var stopped = new TaskCompletionSource();
        lifetime.ApplicationStopped.Register(() => stopped.SetResult());
        lifetime.StopApplication();
        await stopped.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var logs = await _app.Service<Hookline.Storage.IWebhookStore>().ListLogsAsync(_workspace, hook.Id,
            new Hookline.Storage.ListQuery(null, WebhookFields.LogDefaultOrder, 1, 10));
        var log = Assert.Single(logs.Items);
        Assert.Equal((true, "late but fine"), (log.IsSuccessful, log.ResponseBody));
    }
}
