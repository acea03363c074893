using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Hookline.Auth;
using Hookline.Tests.Support;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace Hookline.Tests.Mcp;

/// <summary>
/// /mcp driven by the official MCP C# client over real HTTP (Kestrel on 127.0.0.1), with real tokens and a real receiver:
/// every tool, and what a token may not do.
/// </summary>
public sealed class McpServerTests : IAsyncLifetime
{
    private static readonly string[] ToolNames =
    [
        "list_webhooks", "get_webhook", "create_webhook", "update_webhook", "delete_webhook", "list_event_types",
        "search_delivery_logs", "send_test_event", "redeliver", "recover_since", "get_signing_secret", "rotate_signing_secret",
        "publish_event",
    ];

    private readonly HooklineFactory _app = new(TestEvents.FastDelivery(("urls", "http://127.0.0.1:0")));
    private readonly Guid _workspace = Guid.NewGuid();
    private Receiver _receiver = null!;
    private string _url = null!;

    public async Task InitializeAsync()
    {
        _receiver = await Receiver.StartAsync();
        _app.UseKestrel();
        _app.StartServer();
        _url = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    public async Task DisposeAsync()
    {
        await _receiver.DisposeAsync();
        _app.Dispose();
    }

    [Fact]
    public async Task EveryToolDoesWhatItsApiEndpointDoes()
    {
        await using var mcp = await ConnectAsync(await TokenAsync(_workspace, Permissions.Admin, Permissions.EventsPublish));

        var tools = await mcp.ListToolsAsync();
        Assert.Equal(ToolNames.Order(), tools.Select(t => t.Name).Order());
        foreach (var tool in tools)
        {
            Assert.True(tool.Description.Length > 40, $"{tool.Name} needs a description an agent can act on");
            Assert.Equal("object", tool.JsonSchema.GetProperty("type").GetString());
            foreach (var property in tool.JsonSchema.GetProperty("properties").EnumerateObject())
                Assert.True(property.Value.TryGetProperty("description", out _), $"{tool.Name}.{property.Name} has no description");
        }

        Assert.Contains("webhook_failing", Strings(await OkAsync(mcp, "list_event_types", new() { ["receiverType"] = "custom" })));
        Assert.DoesNotContain("task_updated", Strings(await OkAsync(mcp, "list_event_types", new() { ["receiverType"] = "slack" })));

        var created = await OkAsync(mcp, "create_webhook", new()
        {
            ["name"] = "Agent's hook", ["uri"] = _receiver.Url + "/hook", ["events"] = "task_added", ["isActive"] = true,
            ["authenticationType"] = "header", ["authentication"] = "X-Api-Key=s3cret",
        });
        var id = created.GetProperty("id").GetString()!;
        Assert.Equal("custom", created.GetProperty("receiverType").GetString());
        Assert.Equal("Agent's hook", (await OkAsync(mcp, "get_webhook", new() { ["webhookId"] = id })).GetProperty("name").GetString());

        var updated = await OkAsync(mcp, "update_webhook", new() { ["webhookId"] = id, ["name"] = "Renamed" });
        Assert.Equal("Renamed", updated.GetProperty("name").GetString());
        Assert.Equal("task_added", updated.GetProperty("events").GetString()); // fields not given keep their values
        Assert.Equal("X-Api-Key=s3cret", updated.GetProperty("authentication").GetString());

        var listed = await OkAsync(mcp, "list_webhooks", new() { ["filterBy"] = "name eq 'Renamed'", ["pageSize"] = 10 });
        Assert.Equal(1, listed.GetProperty("totalItems").GetInt32());
        Assert.Equal(10, listed.GetProperty("pageSize").GetInt32());
        Assert.Equal(id, listed.GetProperty("items")[0].GetProperty("id").GetString());

        var secret = (await OkAsync(mcp, "get_signing_secret", new() { ["webhookId"] = id })).GetProperty("key").GetString()!;
        var rotated = (await OkAsync(mcp, "rotate_signing_secret", new() { ["webhookId"] = id })).GetProperty("key").GetString()!;
        Assert.StartsWith("whsec_", secret);
        Assert.NotEqual(secret, rotated);

        var test = await OkAsync(mcp, "send_test_event", new() { ["webhookId"] = id });
        Assert.True(test.GetProperty("isSuccessful").GetBoolean());
        Assert.Equal(1, _receiver.Count);

        var published = await OkAsync(mcp, "publish_event", new()
        {
            ["eventType"] = "task_added", ["entity"] = new { id = "t1", name = "Write the docs" }, ["idempotencyKey"] = "agent-1",
        });
        Assert.Equal(1, published.GetProperty("deliveries").GetInt32());
        await Eventually.TrueAsync(() => _receiver.Count == 2, what: "the published event's delivery");
        var delivered = _receiver.Requests[1];
        Assert.Contains("Write the docs", delivered.Body);
        Assert.Equal("s3cret", delivered.Header("X-Api-Key"));
        Assert.True(StandardWebhooksVerifier.Verify(rotated, delivered.Header("webhook-id"), delivered.Header("webhook-timestamp"),
            delivered.Body, delivered.Header("webhook-signature"), DateTimeOffset.UtcNow));
        var again = await OkAsync(mcp, "publish_event", new()
        {
            ["eventType"] = "task_added", ["entity"] = new { id = "t1", name = "Write the docs" }, ["idempotencyKey"] = "agent-1",
        });
        Assert.Equal(published.GetProperty("id").GetString(), again.GetProperty("id").GetString()); // the key reached the API
        Assert.Equal("idempotency-key-reused", (await RefusedAsync(mcp, "publish_event", new() { ["eventType"] = "task_added", ["idempotencyKey"] = "agent-1" }))
            .GetProperty("code").GetString());

        JsonElement logs = default;
        await Eventually.TrueAsync(async () =>
        {
            logs = await OkAsync(mcp, "search_delivery_logs", new() { ["webhookId"] = id, ["filterBy"] = "eventType eq 'task_added' and isSuccessful eq true" });
            return logs.GetProperty("totalItems").GetInt32() == 1;
        }, what: "the delivery's log row");
        var logId = logs.GetProperty("items")[0].GetProperty("id").GetString()!;

        var redelivered = await OkAsync(mcp, "redeliver", new() { ["webhookId"] = id, ["logId"] = logId });
        Assert.True(redelivered.GetProperty("deliveryId").GetInt64() > 0);
        await Eventually.TrueAsync(() => _receiver.Count == 3, what: "the redelivery");
        Assert.Equal(delivered.Header("webhook-id"), _receiver.Requests[2].Header("webhook-id"));

        var recovered = await OkAsync(mcp, "recover_since", new() { ["webhookId"] = id, ["since"] = "2026-01-01T00:00:00Z" });
        Assert.Equal(0, recovered.GetProperty("requeued").GetInt32()); // nothing failed

        Assert.Equal(204, (await OkAsync(mcp, "delete_webhook", new() { ["webhookId"] = id })).GetProperty("status").GetInt32());
        Assert.Equal("not-found", (await RefusedAsync(mcp, "get_webhook", new() { ["webhookId"] = id })).GetProperty("code").GetString());
    }

    [Fact]
    public async Task AReadOnlyTokenIsRefusedInTheApisWords()
    {
        var token = await TokenAsync(_workspace, Permissions.ConfigRead);
        await using var mcp = await ConnectAsync(token);
        Assert.Equal(0, (await OkAsync(mcp, "list_webhooks", [])).GetProperty("totalItems").GetInt32());

        var form = new Dictionary<string, object?>
        {
            ["name"] = "x", ["uri"] = "https://receiver.example/hook", ["events"] = "task_added", ["isActive"] = true, ["authenticationType"] = "none",
        };
        var refused = await RefusedAsync(mcp, "create_webhook", form);
        using var rest = Rest(token);
        var api = await (await rest.PostAsync("/api/v1/webhooks", Json.Body(JsonSerializer.Serialize(form)))).Content.ReadFromJsonAsync();
        Assert.Equal("unauthorized", refused.GetProperty("code").GetString());
        Assert.Equal(api.GetProperty("description").GetString(), refused.GetProperty("description").GetString());
        Assert.Contains("'workspace-manage-config:write'", refused.GetProperty("description").GetString());
        Assert.Contains("'events:publish'", (await RefusedAsync(mcp, "publish_event", new() { ["eventType"] = "task_added" }))
            .GetProperty("description").GetString());

        // Signing secrets go to an agent only with the admin permission, beyond what the API asks (config write).
        var writer = await TokenAsync(_workspace, Permissions.ConfigWrite);
        await using var writing = await ConnectAsync(writer);
        var id = (await OkAsync(writing, "create_webhook", form)).GetProperty("id").GetString()!;
        var secret = await RefusedAsync(writing, "get_signing_secret", new() { ["webhookId"] = id });
        Assert.Equal("unauthorized", secret.GetProperty("code").GetString());
        Assert.Contains("'admin'", secret.GetProperty("description").GetString());
        Assert.Equal("unauthorized", (await RefusedAsync(writing, "rotate_signing_secret", new() { ["webhookId"] = id })).GetProperty("code").GetString());
    }

    [Fact]
    public async Task AnotherWorkspacesWebhookIsNotFoundAndStaysAsItWas()
    {
        var foreign = Guid.NewGuid();
        using var theirs = Rest(await TokenAsync(foreign, Permissions.Admin));
        var hook = await theirs.CreateWebhookAsync(Json.Form(name: "Theirs"));
        await using var mcp = await ConnectAsync(await TokenAsync(_workspace, Permissions.Admin, Permissions.EventsPublish));
        var id = hook.Id.ToString();

        foreach (var (tool, args) in new (string, Dictionary<string, object?>)[]
                 {
                     ("get_webhook", new() { ["webhookId"] = id }),
                     ("update_webhook", new() { ["webhookId"] = id, ["name"] = "Mine now" }),
                     ("delete_webhook", new() { ["webhookId"] = id }),
                     ("search_delivery_logs", new() { ["webhookId"] = id }),
                     ("send_test_event", new() { ["webhookId"] = id }),
                     ("get_signing_secret", new() { ["webhookId"] = id }),
                     ("rotate_signing_secret", new() { ["webhookId"] = id }),
                     ("recover_since", new() { ["webhookId"] = id, ["since"] = "2026-01-01T00:00:00Z" }),
                 })
        {
            var refused = await RefusedAsync(mcp, tool, args);
            Assert.Equal("not-found", refused.GetProperty("code").GetString());
            Assert.Equal($"No webhook with the id '{id}' exists.", refused.GetProperty("description").GetString());
        }
        Assert.Equal(0, (await OkAsync(mcp, "list_webhooks", [])).GetProperty("totalItems").GetInt32());
        var published = await RefusedAsync(mcp, "publish_event", new() { ["eventType"] = "task_added", ["workspaceId"] = foreign.ToString() });
        Assert.Equal("A workspace token may publish only to its own workspace.", published.GetProperty("validationErrors")[0].GetProperty("message").GetString());

        var after = await theirs.GetAsync($"/api/v1/webhooks/{id}");
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal("Theirs", (await after.Content.ReadFromJsonAsync()).GetProperty("name").GetString());
    }

    [Fact]
    public async Task BadArgumentsGetTheApisValidationAnswer()
    {
        await using var mcp = await ConnectAsync(await TokenAsync(_workspace, Permissions.Admin));

        var missing = await RefusedAsync(mcp, "get_webhook", []);
        Assert.Equal("validation-failed", missing.GetProperty("code").GetString());
        Assert.Equal("'webhookId' is required.", missing.GetProperty("validationErrors")[0].GetProperty("message").GetString());
        var notAnId = await RefusedAsync(mcp, "redeliver", new() { ["webhookId"] = "nope", ["logId"] = 7 });
        Assert.Equal(["'webhookId' must be a uuid.", "'logId' must be a uuid."],
            notAnId.GetProperty("validationErrors").EnumerateArray().Select(e => e.GetProperty("message").GetString()));

        var form = new Dictionary<string, object?> { ["name"] = "", ["uri"] = "ftp://x", ["events"] = "nope", ["isActive"] = "yes", ["colour"] = "red" };
        var refused = await RefusedAsync(mcp, "create_webhook", form);
        using var rest = Rest(await TokenAsync(_workspace, Permissions.Admin));
        var api = await (await rest.PostAsync("/api/v1/webhooks", Json.Body(JsonSerializer.Serialize(form)))).Content.ReadFromJsonAsync();
        Assert.Equal("validation-failed", refused.GetProperty("code").GetString());
        Assert.Equal(api.GetProperty("validationErrors").GetRawText(), refused.GetProperty("validationErrors").GetRawText());

        Assert.Equal("invalid-filter-or-order", (await RefusedAsync(mcp, "list_webhooks", new() { ["filterBy"] = "name eq" })).GetProperty("code").GetString());
        Assert.Equal(0, (await OkAsync(mcp, "list_webhooks", [])).GetProperty("totalItems").GetInt32()); // nothing was stored
    }

    [Fact]
    public async Task WithoutATokenThereIsNoMcp()
    {
        using var anonymous = new HttpClient { BaseAddress = new Uri(_url) };
        var refused = await anonymous.PostAsync("/mcp", ToolsList());
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("unauthorized", (await refused.Content.ReadFromJsonAsync()).GetProperty("code").GetString());
        using var revoked = Rest("hl_" + new string('x', 43));
        Assert.Equal(HttpStatusCode.Unauthorized, (await revoked.PostAsync("/mcp", ToolsList())).StatusCode);
    }

    [Fact]
    public async Task EachToolCallCountsOnceAgainstTheWorkspacesRateLimit()
    {
        // Its own Hookline: twelve requests a minute, and a clock that stands still so that the minute cannot roll over.
        using var app = new HooklineFactory(new() { ["urls"] = "http://127.0.0.1:0", ["Hookline:RateLimits:PerMinute"] = "12" },
            new FakeTimeProvider(DateTimeOffset.Parse("2026-12-01T10:00:05Z")));
        app.UseKestrel();
        app.StartServer();
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var rest = Rest((await app.Service<TokenService>().CreateAsync(_workspace, [Permissions.Admin], "limited")).Secret, url);
        for (var i = 0; i < 12; i++)
        {
            // Each of these makes an API request inside; only the request to /mcp counts.
            var call = await rest.PostAsync("/mcp", Json.Body("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_webhooks","arguments":{}}}"""));
            Assert.Equal(HttpStatusCode.OK, call.StatusCode);
            Assert.Contains("totalItems", await call.Content.ReadAsStringAsync());
        }
        var limited = await rest.PostAsync("/mcp", ToolsList());
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal("too-many-requests", (await limited.Content.ReadFromJsonAsync()).GetProperty("code").GetString());
        Assert.Equal("0", limited.Headers.GetValues("X-RateLimit-Remaining-Minute").Single());
    }

    private static StringContent ToolsList() => Json.Body("""{"jsonrpc":"2.0","id":1,"method":"tools/list"}""");

    private async Task<string> TokenAsync(Guid workspace, params string[] permissions) =>
        (await _app.Service<TokenService>().CreateAsync(workspace, permissions, "mcp test")).Secret;

    private HttpClient Rest(string token, string? url = null)
    {
        var client = new HttpClient { BaseAddress = new Uri(url ?? _url) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        client.DefaultRequestHeaders.Accept.ParseAdd("application/json");
        client.DefaultRequestHeaders.Accept.ParseAdd("text/event-stream");
        return client;
    }

    private async Task<McpClient> ConnectAsync(string token) => await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
    {
        Endpoint = new Uri(_url + "/mcp"), TransportMode = HttpTransportMode.StreamableHttp,
        AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = $"Bearer {token}" },
    }));

    private static async Task<JsonElement> OkAsync(McpClient mcp, string tool, Dictionary<string, object?> args)
    {
        var result = await mcp.CallToolAsync(tool, args);
        var text = Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text;
        Assert.False(result.IsError == true, $"{tool} failed: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static async Task<JsonElement> RefusedAsync(McpClient mcp, string tool, Dictionary<string, object?> args)
    {
        var result = await mcp.CallToolAsync(tool, args);
        var text = Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text;
        Assert.True(result.IsError == true, $"{tool} should have been refused: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static IEnumerable<string?> Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString());
}

internal static class JsonContent
{
    public static async Task<JsonElement> ReadFromJsonAsync(this HttpContent content) =>
        JsonDocument.Parse(await content.ReadAsStringAsync()).RootElement.Clone();
}
