using System.Net;
using System.Net.Http.Json;
using Hookline.Delivery;
using Hookline.Tests.Support;
using Hookline.Webhooks;
using Microsoft.Extensions.Options;

namespace Hookline.Tests.Security;

/// <summary>
/// Hookline follows no redirect, not even to a host it may reach: private networks are allowed here, so the second
/// receiver would be reached if a redirect were followed. A 3xx is a failed attempt, retried and finally exhausted.
/// </summary>
public sealed class RedirectTests : IAsyncLifetime
{
    private readonly HooklineFactory _app = new(TestEvents.FastDelivery());
    private readonly Guid _workspace = Guid.NewGuid();
    private Receiver _first = null!, _second = null!;

    public async Task InitializeAsync() => (_first, _second) = (await Receiver.StartAsync(), await Receiver.StartAsync());

    public async Task DisposeAsync()
    {
        await _first.DisposeAsync();
        await _second.DisposeAsync();
        await _app.DisposeAsync();
    }

    private void RedirectTo(int status, string location) => _first.Respond = (_, http) =>
    {
        http.Response.StatusCode = status;
        http.Response.Headers.Location = location;
        return Task.CompletedTask;
    };

    [Theory]
    [InlineData(301, "second")]
    [InlineData(302, "second")]
    [InlineData(303, "second")]
    [InlineData(307, "second")]
    [InlineData(308, "second")]
    [InlineData(302, "same host")]
    [InlineData(307, "relative")]
    public async Task A_redirect_is_a_failed_test_send_and_is_not_followed(int status, string target)
    {
        var location = target switch { "second" => $"{_second.Url}/final", "same host" => $"{_first.Url}/final", _ => "/final" };
        RedirectTo(status, location);
        var admin = await _app.AdminAsync(_workspace);
        var hook = await admin.CreateWebhookAsync(Json.Form(uri: $"{_first.Url}/hook"));

        var response = await admin.PostAsync($"/api/v1/webhooks/{hook.Id}/test", null);

        var result = (await response.Content.ReadFromJsonAsync<WebhookTestResult>(Json.Web))!;
        Assert.Equal((status, false), (result.ResponseCode, result.IsSuccessful));
        Assert.EndsWith(": redirects are not followed; point the webhook at the final URL.", result.Reason);
        Assert.Equal(["/hook"], _first.Requests.Select(r => r.Path)); // one request, to the configured path only
        Assert.Equal(0, _second.Count);
        var log = Assert.Single(await admin.ListAsync<WebhookLog>($"/api/v1/webhooks/{hook.Id}/logs"));
        Assert.Equal((status, false, result.Reason), (log.ResponseCode, log.IsSuccessful, log.Reason));
    }

    [Theory]
    [InlineData(301)]
    [InlineData(308)]
    public async Task A_queued_delivery_that_is_redirected_fails_every_attempt_and_ends_exhausted(int status)
    {
        RedirectTo(status, $"{_second.Url}/final");
        var admin = await _app.AdminAsync(_workspace);
        var publisher = await _app.ClientAsync(_workspace, Hookline.Auth.Permissions.EventsPublish);
        var hook = await admin.CreateWebhookAsync(Json.Form(uri: $"{_first.Url}/hook"));
        var attempts = _app.Service<IOptions<DeliveryOptions>>().Value.MaxAttempts;

        await publisher.PublishAsync(TestEvents.Event(workspaceId: _workspace));

        await Eventually.TrueAsync(async () => await _app.ScalarAsync<long>(
            $"SELECT COUNT(*) FROM deliveries WHERE webhook_id = '{hook.Id}' AND status = 2") == 1, what: "the delivery to be exhausted");
        Assert.Equal(attempts, _first.Count);
        Assert.Equal(0, _second.Count);
        var logs = await admin.ListAsync<WebhookLog>($"/api/v1/webhooks/{hook.Id}/logs");
        Assert.Equal(attempts, logs.Count);
        Assert.All(logs, l => Assert.Equal((status, false), (l.ResponseCode, l.IsSuccessful)));
        Assert.All(logs, l => Assert.Contains("redirects are not followed", l.Reason));
        var after = await admin.GetFromJsonAsync<WebhookConfig>($"/api/v1/webhooks/{hook.Id}", Json.Web);
        Assert.Contains("redirects are not followed", after!.LastFailureReason);
    }
}
