using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hookline.Auth;
using Hookline.Delivery;
using Hookline.Tests.Support;
using Hookline.Webhooks;
using Microsoft.Extensions.DependencyInjection;

namespace Hookline.Tests.Secrets;

/// <summary>Signing secrets and authentication values are encrypted in the database with the Data Protection key ring.</summary>
public sealed class SecretsAtRestTests : IAsyncLifetime
{
    private readonly Guid _workspace = Guid.NewGuid();
    private Receiver _receiver = null!;
    private HooklineFactory _app = null!;
    private StoredValues _stored = null!;
    private HttpClient _admin = null!;

    public async Task InitializeAsync()
    {
        _receiver = await Receiver.StartAsync();
        await StartAsync();
    }

    private async Task StartAsync(params (string, string?)[] extra)
    {
        _app?.Dispose();
        _app = new HooklineFactory(TestEvents.FastDelivery(extra));
        _stored = new StoredValues(_app);
        _admin = await _app.AdminAsync(_workspace);
    }

    public async Task DisposeAsync()
    {
        _app.Dispose();
        await _receiver.DisposeAsync();
    }

    private string KeysPath => Path.Combine(_app.Database.Folder, "keys");

    private Task<WebhookConfig> HookAsync(HttpClient admin, string authentication) =>
        admin.CreateWebhookAsync(Json.Form(uri: _receiver.Url + "/hook", authenticationType: "header", authentication: authentication));

    private static async Task<string> SecretAsync(HttpClient admin, Guid id, string action = "")
    {
        var response = action == "rotate"
            ? await admin.PostAsync($"/api/v1/webhooks/{id}/secret/rotate", null)
            : await admin.GetAsync($"/api/v1/webhooks/{id}/secret");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var key = (await response.Content.ReadFromJsonAsync<WebhookSecret>(Json.Web))!.Key;
        Assert.StartsWith("whsec_", key);
        return key;
    }

    [Fact]
    public async Task ACopyOfTheDatabaseHoldsNoSigningSecretAndNoAuthenticationValue()
    {
        var firstValue = StoredValues.RandomValue("first-");
        var hook = await HookAsync(_admin, "X-Api-Key=" + firstValue);
        var secondValue = StoredValues.RandomValue("second-");
        var put = await _admin.PutAsJsonAsync($"/api/v1/webhooks/{hook.Id}",
            Json.Form(uri: _receiver.Url + "/hook", authenticationType: "header", authentication: "Authorization=Bearer " + secondValue));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var firstSecret = await SecretAsync(_admin, hook.Id);
        var rotated = await SecretAsync(_admin, hook.Id, "rotate");

        // The API still answers with the plaintext: what integrators configured and what receivers verify with.
        var read = await _admin.GetFromJsonAsync<WebhookConfig>($"/api/v1/webhooks/{hook.Id}", Json.Web);
        Assert.Equal("Authorization=Bearer " + secondValue, read!.Authentication);
        Assert.Equal(rotated, await SecretAsync(_admin, hook.Id));

        Assert.Equal(2, (await _stored.SecretsAsync()).Count);
        await _stored.AssertHoldsNoneOfAsync(new Dictionary<string, string>(
            [new("first authentication value", firstValue), new("second authentication value", secondValue),
             .. StoredValues.SecretForms("first secret", firstSecret), .. StoredValues.SecretForms("rotated secret", rotated)]));
        // The key ring is elsewhere: by default next to the SQLite file, not in it.
        Assert.NotEmpty(Directory.GetFiles(KeysPath, "key-*.xml"));
    }

    [Fact]
    public async Task WithTheKeyRingDeliveriesAreSignedWithBothLiveSecretsAndCarryTheHeader()
    {
        var value = StoredValues.RandomValue("v-");
        var hook = await HookAsync(_admin, "X-Api-Key=" + value);
        var old = await SecretAsync(_admin, hook.Id);
        var current = await SecretAsync(_admin, hook.Id, "rotate");
        var publisher = await _app.ClientAsync(_workspace, Permissions.EventsPublish);

        await publisher.PublishAsync(TestEvents.Event());
        await Eventually.TrueAsync(() => _receiver.Count == 1, what: "the delivery");
        var test = await _admin.PostAsync($"/api/v1/webhooks/{hook.Id}/test", null);
        Assert.True((await test.Content.ReadFromJsonAsync<WebhookTestResult>(Json.Web))!.IsSuccessful);

        Assert.Equal(2, _receiver.Count);
        foreach (var r in _receiver.Requests)
        {
            Assert.Equal(value, r.Header("X-Api-Key"));
            var signature = r.Header("webhook-signature");
            Assert.Equal(2, signature.Split(' ').Length);
            foreach (var secret in new[] { current, old })
                Assert.True(StandardWebhooksVerifier.Verify(secret, r.Header("webhook-id"), r.Header("webhook-timestamp"), r.Body, signature,
                    DateTimeOffset.UtcNow), "each live secret verifies the delivery");
        }
    }

    [Fact]
    public async Task WithoutTheKeyRingNothingIsReadableTheAnswersSayWhyAndRotatingRecovers()
    {
        await StartAsync(("Hookline:Node:Worker", "false")); // this node only configures; the key-less node delivers
        var value = StoredValues.RandomValue("v-");
        var hook = await HookAsync(_admin, "X-Api-Key=" + value);
        var secret = await SecretAsync(_admin, hook.Id);

        using var keyless = new SecondNode(_app, Path.Combine(_app.Database.Folder, "empty-keys"), TestEvents.FastDelivery());
        var admin = keyless.CreateClient();
        var token = await keyless.Services.GetRequiredService<TokenService>().CreateAsync(_workspace, [Permissions.Admin, Permissions.EventsPublish], "keyless");
        admin.DefaultRequestHeaders.Authorization = new("Bearer", token.Secret);

        foreach (var url in new[] { $"/api/v1/webhooks/{hook.Id}", "/api/v1/webhooks", $"/api/v1/webhooks/{hook.Id}/secret" })
        {
            var response = await admin.GetAsync(url);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            var error = await response.ErrorAsync();
            Assert.Equal("secret-unreadable", error.Code);
            Assert.Contains("Hookline:DataProtection:KeysPath", error.Description);
        }

        // Deliveries are not sent unsigned or without their header: they fail, saying why, and are retried.
        await admin.PublishAsync(TestEvents.Event());
        await Eventually.TrueAsync(async () => (await admin.ListAsync<WebhookLog>($"/api/v1/webhooks/{hook.Id}/logs")).Count >= 1, what: "a failed attempt");
        var log = (await admin.ListAsync<WebhookLog>($"/api/v1/webhooks/{hook.Id}/logs")).Last();
        Assert.False(log.IsSuccessful);
        Assert.Contains("cannot be decrypted", log.Reason);
        var test = await (await admin.PostAsync($"/api/v1/webhooks/{hook.Id}/test", null)).Content.ReadFromJsonAsync<WebhookTestResult>(Json.Web);
        Assert.False(test!.IsSuccessful);
        Assert.Contains("key ring", test.Reason);
        Assert.Equal(0, _receiver.Count);
        Assert.Contains(keyless.Logs.Lines, l => l.StartsWith("Warning") && l.Contains("not sent") && l.Contains(hook.Id.ToString()));

        // The way out: a new secret and the header set again; the old secret (unreadable) is left out of the signature.
        var fresh = await SecretAsync(admin, hook.Id, "rotate");
        var newValue = StoredValues.RandomValue("new-");
        var put = await admin.PutAsJsonAsync($"/api/v1/webhooks/{hook.Id}",
            Json.Form(uri: _receiver.Url + "/hook", authenticationType: "header", authentication: "X-Api-Key=" + newValue));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        await admin.PublishAsync(TestEvents.Event());
        await Eventually.TrueAsync(() => _receiver.Count >= 1, what: "a delivery after rotating");
        foreach (var r in _receiver.Requests)
        {
            Assert.Equal(newValue, r.Header("X-Api-Key"));
            Assert.True(StandardWebhooksVerifier.Verify(fresh, r.Header("webhook-id"), r.Header("webhook-timestamp"), r.Body,
                r.Header("webhook-signature"), DateTimeOffset.UtcNow));
        }
        Assert.DoesNotContain(keyless.Logs.Lines.Concat(_app.Logs.Lines), l => l.Contains(value) || l.Contains(newValue) || l.Contains(secret[6..]));
    }

    [Fact]
    public async Task AnOldDatabaseWithPlaintextValuesKeepsWorkingAndEndsUpEncrypted()
    {
        await StartAsync(("Hookline:Node:Worker", "false"));
        var hook = await HookAsync(_admin, "X-Api-Key=placeholder");
        await SecretAsync(_admin, hook.Id, "rotate");
        var bare = await _admin.CreateWebhookAsync(Json.Form(uri: _receiver.Url + "/bare"));

        // What a Hookline before encryption left behind: plaintext values, and a webhook without any secret.
        var (current, old, value) = (Signing.NewSecret(), Signing.NewSecret(), StoredValues.RandomValue("legacy-"));
        await _stored.ExecuteAsync("UPDATE webhook_secrets SET secret = @current WHERE expires_on IS NULL;", new { current });
        await _stored.ExecuteAsync("UPDATE webhook_secrets SET secret = @old WHERE expires_on IS NOT NULL;", new { old });
        object Id(Guid id) => _app.Postgres is null ? id.ToString() : id;
        await _stored.ExecuteAsync("UPDATE webhooks SET authentication = @auth WHERE id = @id;", new { auth = "X-Api-Key=" + value, id = Id(hook.Id) });
        await _stored.ExecuteAsync("DELETE FROM webhook_secrets WHERE webhook_id = @id;", new { id = Id(bare.Id) });
        Assert.Contains(current, await _stored.SecretsAsync());

        using var upgraded = new SecondNode(_app, KeysPath, TestEvents.FastDelivery());
        var admin = upgraded.CreateClient();
        var token = await upgraded.Services.GetRequiredService<TokenService>().CreateAsync(_workspace, [Permissions.Admin, Permissions.EventsPublish], "up");
        admin.DefaultRequestHeaders.Authorization = new("Bearer", token.Secret);

        Assert.Contains(upgraded.Logs.Lines, l => l.Contains("Encrypted 3 signing secrets and authentication values"));
        await _stored.AssertHoldsNoneOfAsync(new Dictionary<string, string>(
            [new("authentication value", value), .. StoredValues.SecretForms("current secret", current), .. StoredValues.SecretForms("old secret", old)]));
        Assert.Equal(current, await SecretAsync(admin, hook.Id));
        Assert.Equal("X-Api-Key=" + value, (await admin.GetFromJsonAsync<WebhookConfig>($"/api/v1/webhooks/{hook.Id}", Json.Web))!.Authentication);
        await SecretAsync(admin, bare.Id); // given one at start, encrypted, readable

        await admin.PublishAsync(TestEvents.Event());
        await Eventually.TrueAsync(() => _receiver.Requests.Any(r => r.Path == "/hook"), what: "the delivery");
        var delivered = _receiver.Requests.First(r => r.Path == "/hook");
        Assert.Equal(value, delivered.Header("X-Api-Key"));
        foreach (var secret in new[] { current, old })
            Assert.True(StandardWebhooksVerifier.Verify(secret, delivered.Header("webhook-id"), delivered.Header("webhook-timestamp"), delivered.Body,
                delivered.Header("webhook-signature"), DateTimeOffset.UtcNow));

        // Once only: another start finds nothing left to encrypt and changes nothing.
        var before = (await _stored.SecretsAsync()).Concat(await _stored.AuthenticationsAsync()).Order().ToList();
        using (var again = new SecondNode(_app, KeysPath, TestEvents.FastDelivery(("Hookline:Node:Worker", "false"))))
        {
            _ = again.Services;
            Assert.DoesNotContain(again.Logs.Lines, l => l.Contains("Encrypted"));
        }
        Assert.Equal(before, (await _stored.SecretsAsync()).Concat(await _stored.AuthenticationsAsync()).Order().ToList());
    }
}
