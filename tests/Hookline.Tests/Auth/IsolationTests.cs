using System.Net;
using System.Net.Http.Json;
using Hookline.Storage;
using Hookline.Tests.Support;
using Hookline.Webhooks;

namespace Hookline.Tests.Auth;

public sealed class IsolationTests : IDisposable
{
    private readonly HooklineFactory _app = new();
    private readonly Guid _alice = Guid.NewGuid();
    private readonly Guid _bob = Guid.NewGuid();

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task AWorkspaceNeverSeesOrTouchesAnotherWorkspacesWebhooksOrLogs()
    {
        var alice = await _app.AdminAsync(_alice);
        var bob = await _app.AdminAsync(_bob);
        var hook = await alice.CreateWebhookAsync(Json.Form(name: "alice's"));
        await _app.Service<IWebhookStore>().AddLogsAsync([TestData.Log(_alice, hook.Id, DateTimeOffset.UtcNow)]);

        foreach (var (method, suffix) in new[] { ("GET", ""), ("PUT", ""), ("DELETE", ""), ("GET", "/logs") })
        {
            var request = new HttpRequestMessage(new HttpMethod(method), $"/api/v1/webhooks/{hook.Id}{suffix}");
            if (method == "PUT") request.Content = JsonContent.Create(Json.Form(name: "bob was here"));
            var response = await bob.SendAsync(request);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("not-found", (await response.ErrorAsync()).Code);
        }

        Assert.Empty(await bob.ListAsync<WebhookConfig>("/api/v1/webhooks"));
        Assert.Empty(await bob.ListAsync<WebhookConfig>($"/api/v1/webhooks?filterby=id eq guid'{hook.Id}'"));
        var still = await alice.GetFromJsonAsync<WebhookConfig>($"/api/v1/webhooks/{hook.Id}", Json.Web);
        Assert.Equal(hook, still);
        Assert.Single(await alice.ListAsync<WebhookLog>($"/api/v1/webhooks/{hook.Id}/logs"));
    }
}
