using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hookline.Auth;
using Hookline.Tests.Support;
using Hookline.Webhooks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;

namespace Hookline.Tests.Slack;

/// <summary>Slack webhooks through the real engine, against a fake Slack on 127.0.0.1 (made a Slack host by configuration).</summary>
public sealed class SlackDeliveryTests : IAsyncLifetime
{
    private const string SecretPath = "/services/T0001/B0002/Sl4ckS3cretP4th";
    private readonly Guid _workspace = Guid.NewGuid();
    private Receiver _slack = null!;
    private HooklineFactory _app = null!;
    private HttpClient _admin = null!;
    private HttpClient _publisher = null!;

    public async Task InitializeAsync()
    {
        _slack = await Receiver.StartAsync();
        await StartAsync();
    }

    private async Task StartAsync(FakeTimeProvider? time = null, params (string, string?)[] extra)
    {
        _app = new HooklineFactory(TestEvents.FastDelivery([("Hookline:Slack:Hosts:0", "hooks.slack.com"), ("Hookline:Slack:Hosts:1", "127.0.0.1"), .. extra]), time);
        _admin = await _app.AdminAsync(_workspace);
        _publisher = await _app.ClientAsync(_workspace, Permissions.EventsPublish);
    }

    public async Task DisposeAsync()
    {
        _app.Dispose();
        await _slack.DisposeAsync();
    }

    private Task<WebhookConfig> SlackHookAsync(string language = "en-GB", string? authentication = null) =>
        _admin.CreateWebhookAsync(Json.Form(uri: _slack.Url + SecretPath, events: "task_added,task_comment_added,task_status_changed",
            language: language, authenticationType: authentication is null ? "none" : "header", authentication: authentication));

    private Task<List<WebhookLog>> LogsAsync(Guid id) => _admin.ListAsync<WebhookLog>($"/api/v1/webhooks/{id}/logs?orderby=attempt");

    private void Answer(int status, string body) =>
        _slack.Respond = (_, http) => { http.Response.StatusCode = status; return http.Response.WriteAsync(body); };

    [Fact]
    public async Task ASlackWebhookGetsABlockKitMessageAndNoStandardWebhooksHeaders()
    {
        var hook = await SlackHookAsync();
        Assert.Equal("slack", hook.ReceiverType);
        await _publisher.PublishAsync(TestEvents.Event("task_added"));

        await Eventually.TrueAsync(() => _slack.Count == 1);
        var request = _slack.Requests[0];
        Assert.Equal(SecretPath, request.Path);
        var message = JsonDocument.Parse(request.Body).RootElement;
        Assert.NotEqual("", message.GetProperty("text").GetString());
        Assert.True(message.GetProperty("blocks").GetArrayLength() > 0);
        Assert.Contains("Write the release notes", request.Body);
        Assert.Equal("", request.Header("webhook-id"));
        Assert.Equal("", request.Header("webhook-signature"));

        await Eventually.TrueAsync(async () => (await LogsAsync(hook.Id)).Count == 1);
        var log = (await LogsAsync(hook.Id))[0];
        Assert.Equal((true, request.Body, "ok"), (log.IsSuccessful, log.Message, log.ResponseBody));
    }

    [Fact]
    public async Task StandardWebhooksHeadersGoToSlackOnlyWhenConfigured()
    {
        _app.Dispose();
        await StartAsync(null, ("Hookline:Slack:StandardWebhooksHeaders", "true"));
        await SlackHookAsync();
        await _publisher.PublishAsync(TestEvents.Event());
        await Eventually.TrueAsync(() => _slack.Count == 1);
        Assert.StartsWith("msg_", _slack.Requests[0].Header("webhook-id"));
        Assert.StartsWith("v1,", _slack.Requests[0].Header("webhook-signature"));
    }

    [Fact]
    public async Task TheConfiguredHeaderGoesToSlackToo()
    {
        await SlackHookAsync(authentication: "X-Proxy-Key=k1");
        await _publisher.PublishAsync(TestEvents.Event());
        await Eventually.TrueAsync(() => _slack.Count == 1);
        Assert.Equal("k1", _slack.Requests[0].Header("x-proxy-key"));
    }

    [Fact]
    public async Task GermanWebhooksGetGermanMessages()
    {
        var english = await SlackHookAsync("en-GB");
        await _publisher.PublishAsync(TestEvents.Event());
        await Eventually.TrueAsync(() => _slack.Count == 1);
        await _admin.DeleteAsync($"/api/v1/webhooks/{english.Id}");
        await SlackHookAsync("de-DE");
        await _publisher.PublishAsync(TestEvents.Event());
        await Eventually.TrueAsync(() => _slack.Count == 2);
        Assert.NotEqual(
            JsonDocument.Parse(_slack.Requests[0].Body).RootElement.GetProperty("text").GetString(),
            JsonDocument.Parse(_slack.Requests[1].Body).RootElement.GetProperty("text").GetString());
    }

    [Fact]
    public async Task InvalidPayloadIsSurfacedInTheLogReason()
    {
        var hook = await SlackHookAsync();
        Answer(400, "invalid_payload");
        await _publisher.PublishAsync(TestEvents.Event());
        await Eventually.TrueAsync(async () => (await LogsAsync(hook.Id)).Count >= 1);
        var log = (await LogsAsync(hook.Id))[0];
        Assert.False(log.IsSuccessful);
        Assert.Contains("invalid_payload", log.Reason);
        Assert.Equal("invalid_payload", log.ResponseBody);
    }

    [Theory]
    [InlineData(403, "action_prohibited")]
    [InlineData(404, "no_service")]
    [InlineData(404, "channel_not_found")]
    [InlineData(410, "channel_is_archived")]
    public async Task SlacksGoneForGoodAnswersPauseTheWebhookAtOnceWithTheReason(int status, string answer)
    {
        var hook = await SlackHookAsync();
        Answer(status, answer);
        await _publisher.PublishAsync(TestEvents.Event());

        await Eventually.TrueAsync(async () => !(await _admin.GetFromJsonAsync<WebhookConfig>($"/api/v1/webhooks/{hook.Id}", Json.Web))!.IsActive);
        var paused = (await _admin.GetFromJsonAsync<WebhookConfig>($"/api/v1/webhooks/{hook.Id}", Json.Web))!;
        Assert.Contains(answer, paused.LastFailureReason);
        Assert.Equal(1, _slack.Count);
        Assert.Equal(0, (await _publisher.PublishAsync(TestEvents.Event())).Deliveries);
    }

    [Fact]
    public async Task A429IsRetriedAfterRetryAfter()
    {
        var hook = await SlackHookAsync();
        var calls = 0;
        _slack.Respond = (_, http) =>
        {
            if (Interlocked.Increment(ref calls) > 1) return http.Response.WriteAsync("ok");
            http.Response.StatusCode = 429;
            http.Response.Headers.RetryAfter = "1";
            return http.Response.WriteAsync("rate_limited");
        };
        await _publisher.PublishAsync(TestEvents.Event());

        await Eventually.TrueAsync(async () => (await LogsAsync(hook.Id)).Any(l => l.IsSuccessful));
        var logs = await LogsAsync(hook.Id);
        Assert.Equal([429, 200], logs.Select(l => l.ResponseCode));
        Assert.True(_slack.Requests[1].At - _slack.Requests[0].At >= TimeSpan.FromSeconds(0.9), "the retry waited for Retry-After");
    }

    [Fact]
    public async Task ABurstIsPacedToOneMessageASecondAndNothingIsDropped()
    {
        _app.Dispose();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await StartAsync(time);
        await SlackHookAsync();
        for (var i = 0; i < 4; i++) await _publisher.PublishAsync(TestEvents.Event(entityId: $"burst-{i}"));

        for (var expected = 1; expected <= 4; expected++)
        {
            await Eventually.TrueAsync(() => _slack.Count == expected, what: $"message {expected}");
            await Task.Delay(200);
            Assert.Equal(expected, _slack.Count); // no second message within the same second
            time.Advance(TimeSpan.FromSeconds(1));
        }
    }

    [Fact]
    public async Task TheTestEndpointPostsARealTestMessage()
    {
        var hook = await SlackHookAsync("de-DE");
        var result = await (await _admin.PostAsync($"/api/v1/webhooks/{hook.Id}/test", null)).Content.ReadFromJsonAsync<WebhookTestResult>(Json.Web);
        Assert.True(result!.IsSuccessful);
        var body = JsonDocument.Parse(Assert.Single(_slack.Requests).Body).RootElement;
        Assert.True(body.GetProperty("blocks").GetArrayLength() > 0);
    }

    [Fact]
    public async Task TheSlackUrlsSecretPathNeverReachesTheLogs()
    {
        var hook = await SlackHookAsync();
        Answer(500, "oops");
        await _publisher.PublishAsync(TestEvents.Event());
        await Eventually.TrueAsync(async () => (await LogsAsync(hook.Id)).Count >= 2);
        await _admin.PostAsync($"/api/v1/webhooks/{hook.Id}/test", null);
        Assert.NotEmpty(_app.Logs.Lines);
        Assert.DoesNotContain(_app.Logs.Lines, l => l.Contains("Sl4ckS3cretP4th"));
    }
}
