using System.Net.Http.Json;
using Dapper;
using Hookline.Auth;
using Hookline.Storage;
using Hookline.Tests.Support;
using Hookline.Webhooks;

namespace Hookline.Tests.Security;

/// <summary>
/// Two workspaces with real data made through the API and the worker: Alice (the victim) has a delivered and an
/// exhausted webhook, logs, events, secrets, an idempotency key and tokens; Bob (the prober) has a webhook and a log of
/// his own. <see cref="Sensitive"/> lists everything of Alice's that must never show in an answer to anyone else.
/// </summary>
public sealed class IsolationWorld(HooklineFactory app, Receiver receiver)
{
    public const string IdempotencyKey = "shared-idempotency-key";
    private readonly string _tag = Guid.NewGuid().ToString("N")[..12];

    public Guid Alice { get; } = Guid.NewGuid();
    public Guid Bob { get; } = Guid.NewGuid();
    public WebhookConfig AliceHook { get; private set; } = null!;
    public WebhookConfig AliceFailing { get; private set; } = null!;
    public WebhookConfig BobHook { get; private set; } = null!;
    public Guid AliceLog { get; private set; }
    public Guid AliceEvent { get; private set; }
    public Guid BobLog { get; private set; }
    public HttpClient BobAdmin { get; private set; } = null!;
    public string AliceRevokedToken { get; private set; } = null!;
    public string SystemToken { get; private set; } = null!;
    public List<string> Sensitive { get; } = [];

    /// <summary>The exact bytes Alice published with <see cref="IdempotencyKey"/>; Bob sends the same.</summary>
    public string AliceEventBody => $$$"""{"eventType":"task_added","entityId":"alice-entity-{{{_tag}}}","entity":{"name":"alice-task-{{{_tag}}}"}}""";

    public async Task BuildAsync()
    {
        var alice = await app.ClientAsync(Alice, Permissions.Admin, Permissions.EventsPublish);
        AliceHook = await alice.CreateWebhookAsync(Json.Form(name: $"alice-hook-{_tag}", uri: $"{receiver.Url}/alice-{_tag}",
            authenticationType: "header", authentication: $"X-Alice-Key=alice-auth-{_tag}"));
        AliceFailing = await alice.CreateWebhookAsync(Json.Form(name: $"alice-failing-{_tag}", uri: $"{receiver.Url}/fail-{_tag}"));
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/events") { Content = Json.Body(AliceEventBody) };
        request.Headers.Add("Idempotency-Key", IdempotencyKey);
        var published = await (await alice.SendAsync(request)).Content.ReadFromJsonAsync<Hookline.Events.PublishResult>(Json.Web);
        AliceEvent = published!.Id;
        Assert.Equal(2, published.Deliveries);

        BobAdmin = await app.ClientAsync(Bob, Permissions.Admin, Permissions.EventsPublish);
        BobHook = await BobAdmin.CreateWebhookAsync(Json.Form(name: "bob-hook", uri: $"{receiver.Url}/bob"));
        await BobAdmin.PublishAsync(TestEvents.Event());
        await SettledAsync();

        var aliceLogs = await alice.ListAsync<WebhookLog>($"/api/v1/webhooks/{AliceHook.Id}/logs");
        AliceLog = Assert.Single(aliceLogs).Id;
        var failedLogs = await alice.ListAsync<WebhookLog>($"/api/v1/webhooks/{AliceFailing.Id}/logs");
        Assert.All(failedLogs, l => Assert.False(l.IsSuccessful));
        BobLog = Assert.Single(await BobAdmin.ListAsync<WebhookLog>($"/api/v1/webhooks/{BobHook.Id}/logs")).Id;

        var tokens = app.Service<TokenService>();
        var revoked = await tokens.CreateAsync(Alice, [Permissions.Admin, Permissions.EventsPublish], "soon revoked");
        Assert.Equal(System.Net.HttpStatusCode.OK, (await app.ClientWithToken(revoked.Secret).GetAsync("/api/v1/webhooks")).StatusCode);
        Assert.True(await app.Service<ITokenStore>().RevokeAsync(revoked.Token.Id, DateTimeOffset.UtcNow));
        AliceRevokedToken = revoked.Secret;
        SystemToken = (await tokens.CreateAsync(null, [Permissions.Admin, Permissions.EventsPublish], "operator")).Secret;

        Sensitive.AddRange([Alice.ToString(), AliceHook.Id.ToString(), AliceFailing.Id.ToString(), AliceLog.ToString(), AliceEvent.ToString(),
            AliceHook.Uri, AliceFailing.Uri, AliceHook.Name, AliceFailing.Name, $"alice-auth-{_tag}", $"alice-task-{_tag}",
            AliceHook.CreatedBy.ToString(), revoked.Token.Id.ToString()]);
        Sensitive.AddRange(failedLogs.Select(l => l.Id.ToString()));
        foreach (var hook in new[] { AliceHook, AliceFailing })
            Sensitive.Add((await alice.GetFromJsonAsync<Hookline.Delivery.WebhookSecret>($"/api/v1/webhooks/{hook.Id}/secret", Json.Web))!.Key);
        Sensitive.AddRange(receiver.Requests.Where(r => r.Path.Contains(_tag)).Select(r => r.Header("webhook-id")).Distinct());
    }

    /// <summary>Waits until no delivery is pending, so that nothing moves on its own between two snapshots.</summary>
    public Task SettledAsync() => Eventually.TrueAsync(async () =>
        await app.ScalarAsync<long>("SELECT COUNT(*) FROM deliveries WHERE status = 0") == 0, 30, "every delivery to finish");

    /// <summary>Every stored row that mentions Alice's workspace or one of her webhooks, as text, in a stable order.</summary>
    public async Task<List<string>> SnapshotAliceAsync()
    {
        string[] tables = ["workspaces", "api_tokens", "webhooks", "webhook_secrets", "webhook_logs", "events", "deliveries", "idempotency_keys"];
        string[] mine = [Alice.ToString(), AliceHook.Id.ToString(), AliceFailing.Id.ToString()];
        System.Data.Common.DbConnection c = app.Postgres is null
            ? new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={app.Database.Path}")
            : new Npgsql.NpgsqlConnection(app.Postgres.ConnectionString);
        await using (c)
        {
            var rows = new List<string>();
            foreach (var table in tables)
            {
                foreach (IDictionary<string, object?> row in await c.QueryAsync($"SELECT * FROM {table}"))
                {
                    // When a token was last used is not Alice's data, and the revoked token's stays as it was anyway.
                    var text = table + ": " + string.Join(" | ", row.Where(kv => kv.Key != "last_used_on").Select(kv => $"{kv.Key}={kv.Value}"));
                    if (mine.Any(id => text.Contains(id, StringComparison.OrdinalIgnoreCase))) rows.Add(text);
                }
            }
            rows.Sort(StringComparer.Ordinal);
            return rows;
        }
    }
}
