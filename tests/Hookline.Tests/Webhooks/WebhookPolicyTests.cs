using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Hookline.Tests.Support;
using Hookline.Webhooks;
using Microsoft.AspNetCore.Http;

namespace Hookline.Tests.Webhooks;

/// <summary>GET/PUT /api/v1/webhooks/{id}/policy: Hookline's delivery policy, apart from awork's webhook fields.</summary>
public sealed class WebhookPolicyTests : IAsyncLifetime
{
    private TestWorkspace _workspace = null!;
    private HttpClient Admin => _workspace.Admin;

    public async Task InitializeAsync() => _workspace = await TestWorkspace.StartAsync(TestEvents.FastDelivery());

    public Task DisposeAsync()
    {
        _workspace.Dispose();
        return Task.CompletedTask;
    }

    private async Task<HttpResponseMessage> PutAsync(Guid id, string json) =>
        await Admin.PutAsync($"/api/v1/webhooks/{id}/policy", new StringContent(json, Encoding.UTF8, "application/json"));

    [Fact]
    public async Task ANewWebhookHasTheServiceDefaultsAndAPolicyIsReplacedWhole()
    {
        var hook = await Admin.CreateWebhookAsync();
        Assert.Equal(new WebhookPolicy(), await Admin.GetFromJsonAsync<WebhookPolicy>($"/api/v1/webhooks/{hook.Id}/policy", Json.Web));
        var raw = await Admin.GetStringAsync($"/api/v1/webhooks/{hook.Id}/policy");
        Assert.Equal("""{"maxPerSecond":null,"maxConcurrency":null,"timeoutSeconds":null,"retrySchedule":null,"ordering":"none"}""", raw);

        var put = await PutAsync(hook.Id, """{"maxPerSecond":20,"maxConcurrency":1,"timeoutSeconds":5,"retrySchedule":[0,30,120],"ordering":"fifo"}""");
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var expected = new WebhookPolicy { MaxPerSecond = 20, MaxConcurrency = 1, TimeoutSeconds = 5, RetrySchedule = [0, 30, 120], Ordering = "fifo" };
        Assert.Equivalent(expected, await put.Content.ReadFromJsonAsync<WebhookPolicy>(Json.Web), strict: true);
        Assert.Equivalent(expected, await Admin.GetFromJsonAsync<WebhookPolicy>($"/api/v1/webhooks/{hook.Id}/policy", Json.Web), strict: true);
        Assert.DoesNotContain("maxPerSecond", await Admin.GetStringAsync($"/api/v1/webhooks/{hook.Id}")); // awork's fields stay awork's

        Assert.Equal(HttpStatusCode.OK, (await PutAsync(hook.Id, """{"timeoutSeconds":7}""")).StatusCode); // what is not given is the default
        Assert.Equivalent(new WebhookPolicy { TimeoutSeconds = 7 }, await Admin.GetFromJsonAsync<WebhookPolicy>($"/api/v1/webhooks/{hook.Id}/policy", Json.Web), strict: true);
        Assert.Equal(HttpStatusCode.OK, (await PutAsync(hook.Id, """{"retrySchedule":[]}""")).StatusCode); // no retries at all
        Assert.Equal([], (await Admin.GetFromJsonAsync<WebhookPolicy>($"/api/v1/webhooks/{hook.Id}/policy", Json.Web))!.RetrySchedule!);
    }

    [Theory]
    [InlineData("""{"maxPerSecond":0}""", "maxPerSecond")]
    [InlineData("""{"maxPerSecond":10001}""", "maxPerSecond")]
    [InlineData("""{"maxPerSecond":1.5}""", "maxPerSecond")]
    [InlineData("""{"maxPerSecond":"10"}""", "maxPerSecond")]
    [InlineData("""{"maxConcurrency":-1}""", "maxConcurrency")]
    [InlineData("""{"maxConcurrency":99999999999}""", "maxConcurrency")]
    [InlineData("""{"timeoutSeconds":0}""", "timeoutSeconds")]
    [InlineData("""{"timeoutSeconds":60}""", "timeoutSeconds")] // not below the 60 s lease
    [InlineData("""{"retrySchedule":"5,30"}""", "retrySchedule")]
    [InlineData("""{"retrySchedule":[5,-1]}""", "retrySchedule")]
    [InlineData("""{"retrySchedule":[5,null]}""", "retrySchedule")]
    [InlineData("""{"retrySchedule":[604801]}""", "retrySchedule")]
    [InlineData("""{"retrySchedule":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]}""", "retrySchedule")]
    [InlineData("""{"ordering":"lifo"}""", "ordering")]
    [InlineData("""{"ordering":true}""", "ordering")]
    [InlineData("""{"ordering":"fifo","maxConcurrency":2}""", "maxConcurrency")]
    [InlineData("""{"throttleRate":5}""", "throttleRate")]
    [InlineData("""{"maxPerSecond":5,"MAXPERSECOND":6}""", "maxPerSecond")]
    [InlineData("""[{"maxPerSecond":5}]""", null)]
    public async Task ABadValueIsAClearValidationErrorAndChangesNothing(string body, string? property)
    {
        var hook = await Admin.CreateWebhookAsync();
        Assert.Equal(HttpStatusCode.OK, (await PutAsync(hook.Id, """{"maxPerSecond":3,"retrySchedule":[1]}""")).StatusCode);

        var response = await PutAsync(hook.Id, body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await response.Content.ReadFromJsonAsync<JsonElement>();
        var first = error.GetProperty("validationErrors")[0];
        Assert.Equal(property, first.GetProperty("property").GetString());
        Assert.False(string.IsNullOrWhiteSpace(first.GetProperty("message").GetString()));
        Assert.Equivalent(new WebhookPolicy { MaxPerSecond = 3, RetrySchedule = [1] },
            await Admin.GetFromJsonAsync<WebhookPolicy>($"/api/v1/webhooks/{hook.Id}/policy", Json.Web), strict: true);
    }

    [Fact]
    public async Task BrokenJsonAnUnknownWebhookAndAReadOnlyTokenAreRefused()
    {
        var hook = await Admin.CreateWebhookAsync();
        Assert.Equal(HttpStatusCode.BadRequest, (await PutAsync(hook.Id, """{"maxPerSecond":""")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Admin.GetAsync($"/api/v1/webhooks/{Guid.NewGuid()}/policy")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await PutAsync(Guid.NewGuid(), "{}")).StatusCode);
        var reader = await _workspace.App.ClientAsync(_workspace.Id, Hookline.Auth.Permissions.ConfigRead);
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync($"/api/v1/webhooks/{hook.Id}/policy")).StatusCode);
        var refused = await reader.PutAsync($"/api/v1/webhooks/{hook.Id}/policy", new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode); // awork answers a missing permission so
    }

    [Fact]
    public async Task TheTimeoutAndTheRetryScheduleAreTheWebhooksOwn()
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.Respond = async (r, http) =>
        {
            if (r.Path == "/slow") await Task.Delay(TimeSpan.FromSeconds(3), http.RequestAborted).ContinueWith(_ => { });
            http.Response.StatusCode = 500;
        };
        var slow = await Admin.CreateWebhookAsync(Json.Form(uri: receiver.Url + "/slow"));
        var failing = await Admin.CreateWebhookAsync(Json.Form(uri: receiver.Url + "/failing"));
        Assert.Equal(HttpStatusCode.OK, (await PutAsync(slow.Id, """{"timeoutSeconds":1,"retrySchedule":[]}""")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PutAsync(failing.Id, """{"retrySchedule":[0,0,0,0,0]}""")).StatusCode);
        await _workspace.Publisher.PublishAsync(TestEvents.Event());

        // The service's timeout is 2 s (FastDelivery) and its schedule three retries: the policies say 1 s, none, and five.
        await Eventually.TrueAsync(async () => (await Admin.ListAsync<WebhookLog>($"/api/v1/webhooks/{failing.Id}/logs")).Count == 6,
            what: "six attempts: the first and five retries");
        await Eventually.TrueAsync(async () => (await Admin.ListAsync<WebhookLog>($"/api/v1/webhooks/{slow.Id}/logs")).Count == 1,
            what: "the slow receiver's one attempt");
        var slowLogs = await Admin.ListAsync<WebhookLog>($"/api/v1/webhooks/{slow.Id}/logs");
        Assert.Equal("No answer within 1 s (timeout).", Assert.Single(slowLogs).Reason);
        Assert.InRange(slowLogs[0].DurationMs, 900, 1900); // its own 1 s, not the service's 2 s
        await Task.Delay(500);
        Assert.Equal(6, (await Admin.ListAsync<WebhookLog>($"/api/v1/webhooks/{failing.Id}/logs")).Count);
        Assert.Single(await Admin.ListAsync<WebhookLog>($"/api/v1/webhooks/{slow.Id}/logs"));
    }
}
