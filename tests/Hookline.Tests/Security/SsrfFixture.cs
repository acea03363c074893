using System.Net;
using System.Net.Http.Json;
using Hookline.Tests.Support;
using Hookline.Webhooks;

namespace Hookline.Tests.Security;

/// <summary>
/// Two Hooklines that differ only in <c>Hookline:Delivery:AllowPrivateNetworks</c>, a <see cref="Trap"/> on loopback
/// that the guarded one must never reach, and an /etc/hosts alias of 127.0.0.1.
/// </summary>
public sealed class SsrfFixture : IAsyncLifetime
{
    public Trap Trap { get; } = Trap.Start();
    public HostsAlias Alias { get; } = new();
    public HooklineFactory Guarded { get; } = new(TestEvents.FastDelivery(("Hookline:Delivery:AllowPrivateNetworks", "false")));
    public HooklineFactory Open { get; } = new(TestEvents.FastDelivery());

    public HooklineFactory App(bool allowPrivate) => allowPrivate ? Open : Guarded;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await Guarded.DisposeAsync();
        await Open.DisposeAsync();
        await Trap.DisposeAsync();
        Alias.Dispose();
    }

    /// <summary>The URI with {port} and {alias} filled in.</summary>
    public string Uri(string template) => template.Replace("{port}", $"{Trap.Port}").Replace("{alias}", Alias.Name);

    /// <summary>Creates a webhook for <paramref name="uri"/> through the API and sends it a test event (POST …/test).</summary>
    public static async Task<(WebhookConfig Hook, WebhookTestResult Result, WebhookLog Log)> TestSendAsync(HttpClient admin, string uri)
    {
        var hook = await admin.CreateWebhookAsync(Json.Form(name: "ssrf", uri: uri)); // accepted: the check is at delivery time
        var response = await admin.PostAsync($"/api/v1/webhooks/{hook.Id}/test", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = (await response.Content.ReadFromJsonAsync<WebhookTestResult>(Json.Web))!;
        var log = Assert.Single(await admin.ListAsync<WebhookLog>($"/api/v1/webhooks/{hook.Id}/logs"));
        return (hook, result, log);
    }
}
