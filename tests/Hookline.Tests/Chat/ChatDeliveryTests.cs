using System.Net.Http.Json;
using System.Text.Json;
using Hookline.Auth;
using Hookline.Tests.Support;
using Hookline.Webhooks;
using Microsoft.AspNetCore.Http;

namespace Hookline.Tests.Chat;

/// <summary>Teams and Discord webhooks through the real engine, against a fake service on 127.0.0.1 (made its host by configuration).</summary>
public sealed class ChatDeliveryTests : IAsyncLifetime
{
    private readonly Guid _workspace = Guid.NewGuid();
    private Receiver _service = null!;
    private HooklineFactory? _app;
    private HttpClient _admin = null!;
    private HttpClient _publisher = null!;

    public async Task InitializeAsync() => _service = await Receiver.StartAsync();

    public async Task DisposeAsync()
    {
        _app?.Dispose();
        await _service.DisposeAsync();
    }

    /// <summary>Hookline with 127.0.0.1 as the host of <paramref name="receiver"/> webhooks, and one such webhook.</summary>
    private async Task<WebhookConfig> HookAsync(string receiver, string language = "en-GB")
    {
        var section = receiver == "teams" ? "Teams" : "Discord";
        _app = new HooklineFactory(TestEvents.FastDelivery(($"Hookline:{section}:Hosts:0", "127.0.0.1")));
        _admin = await _app.AdminAsync(_workspace);
        _publisher = await _app.ClientAsync(_workspace, Permissions.EventsPublish);
        var hook = await _admin.CreateWebhookAsync(Json.Form(uri: _service.Url + "/api/webhooks/1234/t0k3n", events: "task_added", language: language));
        Assert.Equal(receiver, hook.ReceiverType);
        return hook;
    }

    private Task<List<WebhookLog>> LogsAsync(Guid id) => _admin.ListAsync<WebhookLog>($"/api/v1/webhooks/{id}/logs?orderby=attempt");

    [Fact]
    public async Task ATeamsWebhookGetsAnAdaptiveCardInItsLanguageAndNoStandardWebhooksHeaders()
    {
        await HookAsync("teams", "de-DE");
        await _publisher.PublishAsync(TestEvents.Event("task_added"));

        await Eventually.TrueAsync(() => _service.Count == 1);
        var request = _service.Requests[0];
        Assert.StartsWith("application/json", request.Header("Content-Type"));
        Assert.Equal("", request.Header("webhook-signature"));
        var card = JsonDocument.Parse(request.Body).RootElement.GetProperty("attachments")[0].GetProperty("content");
        Assert.Equal(("AdaptiveCard", "1.5", "de"), (card.GetProperty("type").GetString(), card.GetProperty("version").GetString(), card.GetProperty("lang").GetString()));
        Assert.Contains("hat die Aufgabe", card.GetProperty("body")[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task ADiscordWebhookGetsAnEmbedThatMentionsNobody()
    {
        var hook = await HookAsync("discord");
        var test = await (await _admin.PostAsync($"/api/v1/webhooks/{hook.Id}/test", null)).Content.ReadFromJsonAsync<WebhookTestResult>(Json.Web);
        Assert.True(test!.IsSuccessful);
        var message = JsonDocument.Parse(Assert.Single(_service.Requests).Body).RootElement;
        Assert.Empty(message.GetProperty("allowed_mentions").GetProperty("parse").EnumerateArray());
        Assert.Equal("This is a test message from Hookline: your Discord webhook works.",
            message.GetProperty("embeds")[0].GetProperty("description").GetString());
    }

    [Fact]
    public async Task DiscordsRateLimitIsWaitedForAsItsBodySays()
    {
        var hook = await HookAsync("discord");
        var calls = 0;
        _service.Respond = (_, http) =>
        {
            if (Interlocked.Increment(ref calls) > 1) { http.Response.StatusCode = 204; return Task.CompletedTask; }
            http.Response.StatusCode = 429; // no Retry-After header: the wait is only in the body, as Discord also sends it
            return http.Response.WriteAsync("""{"message": "You are being rate limited.", "retry_after": 2.5, "global": false}""");
        };
        await _publisher.PublishAsync(TestEvents.Event());

        await Eventually.TrueAsync(async () => (await LogsAsync(hook.Id)).Any(l => l.IsSuccessful));
        Assert.Equal([429, 204], (await LogsAsync(hook.Id)).Select(l => l.ResponseCode));
        var waited = _service.Requests[1].At - _service.Requests[0].At;
        Assert.True(waited >= TimeSpan.FromSeconds(2.3), $"the retry came after {waited.TotalMilliseconds} ms, not after retry_after (the schedule says 100 ms)");
    }

    [Theory]
    [InlineData("discord", 404, """{"message": "Unknown Webhook", "code": 10015}""", "Unknown Webhook")]
    [InlineData("discord", 401, """{"message": "Invalid Webhook Token", "code": 50027}""", "Invalid Webhook Token")]
    [InlineData("teams", 404, "WorkflowNotFound", "Teams answered 404")]
    [InlineData("teams", 410, "", "Teams answered 410")]
    public async Task AWebhookThatIsGoneForGoodIsPausedAtOnceWithTheReason(string receiver, int status, string answer, string reason)
    {
        var hook = await HookAsync(receiver);
        _service.Respond = (_, http) => { http.Response.StatusCode = status; return http.Response.WriteAsync(answer); };
        await _publisher.PublishAsync(TestEvents.Event());

        await Eventually.TrueAsync(async () => !(await _admin.GetFromJsonAsync<WebhookConfig>($"/api/v1/webhooks/{hook.Id}", Json.Web))!.IsActive);
        var paused = (await _admin.GetFromJsonAsync<WebhookConfig>($"/api/v1/webhooks/{hook.Id}", Json.Web))!;
        Assert.Contains(reason, paused.LastFailureReason);
        Assert.Equal(1, _service.Count);
    }
}
