using System.Net;

namespace Hookline.Tests.Security;

/// <summary>The probes: for each mapped endpoint, the requests Bob sends with Alice's ids and what he must get.</summary>
public sealed partial class EndpointIsolationTests
{
    private sealed record Probe(string Method, string Path, string? Body, HttpStatusCode Expected, string? IdempotencyKey = null);

    /// <summary>What Bob (admin and events:publish in his own workspace) tries against Alice, per endpoint.</summary>
    private Dictionary<string, Probe[]> BobsProbes()
    {
        var w = _world;
        var (hook, failing, bobHook) = (w.AliceHook.Id, w.AliceFailing.Id, w.BobHook.Id);
        var form = $$"""{"name":"bob was here","uri":"https://bob.example/","events":"task_added","isActive":true,"authenticationType":"none"}""";
        const string h = "/api/v1/webhooks";
        return new()
        {
            ["GET /api/v1/webhooks/"] =
            [
                new("GET", h, null, HttpStatusCode.OK), new("GET", $"{h}?filterby=id eq guid'{hook}'", null, HttpStatusCode.OK),
                new("GET", $"{h}?filterby=name eq '{w.AliceHook.Name}'", null, HttpStatusCode.OK),
                new("GET", $"{h}?filterby=uri eq '{w.AliceHook.Uri}'", null, HttpStatusCode.OK),
            ],
            ["POST /api/v1/webhooks/"] =
            [
                new("POST", h, form, HttpStatusCode.OK),
                new("POST", h, form.Replace("\"name\"", $"\"id\":\"{hook}\",\"name\""), HttpStatusCode.BadRequest),
            ],
            ["GET /api/v1/webhooks/eventtypes"] = [new("GET", $"{h}/eventtypes", null, HttpStatusCode.OK)],
            ["GET /api/v1/webhooks/eventtypes/slack"] = [new("GET", $"{h}/eventtypes/slack", null, HttpStatusCode.OK)],
            ["GET /api/v1/webhooks/eventtypes/teams"] = [new("GET", $"{h}/eventtypes/teams", null, HttpStatusCode.OK)],
            ["GET /api/v1/webhooks/eventtypes/discord"] = [new("GET", $"{h}/eventtypes/discord", null, HttpStatusCode.OK)],
            ["GET /api/v1/webhooks/{webhookId:guid}"] = [new("GET", $"{h}/{hook}", null, HttpStatusCode.NotFound)],
            ["PUT /api/v1/webhooks/{webhookId:guid}"] =
                [new("PUT", $"{h}/{hook}", form, HttpStatusCode.NotFound), new("PUT", $"{h}/{failing}", "{}", HttpStatusCode.NotFound)],
            ["DELETE /api/v1/webhooks/{webhookId:guid}"] = [new("DELETE", $"{h}/{hook}", null, HttpStatusCode.NotFound)],
            ["GET /api/v1/webhooks/{webhookId:guid}/logs"] =
            [
                new("GET", $"{h}/{hook}/logs", null, HttpStatusCode.NotFound),
                new("GET", $"{h}/{bobHook}/logs?filterby=id eq guid'{w.AliceLog}'", null, HttpStatusCode.OK),
                new("GET", $"{h}/{bobHook}/logs?filterby=eventId eq guid'{w.AliceEvent}'", null, HttpStatusCode.OK),
                new("GET", $"{h}/{bobHook}/logs?filterby=webhookId eq guid'{hook}'", null, HttpStatusCode.OK),
            ],
            ["GET /api/v1/webhooks/{webhookId:guid}/policy"] = [new("GET", $"{h}/{hook}/policy", null, HttpStatusCode.NotFound)],
            ["PUT /api/v1/webhooks/{webhookId:guid}/policy"] =
                [new("PUT", $"{h}/{hook}/policy", """{"maxPerSecond":1}""", HttpStatusCode.NotFound), new("PUT", $"{h}/{hook}/policy", "[]", HttpStatusCode.NotFound)],
            ["GET /api/v1/webhooks/{webhookId:guid}/secret"] = [new("GET", $"{h}/{hook}/secret", null, HttpStatusCode.NotFound)],
            ["POST /api/v1/webhooks/{webhookId:guid}/secret/rotate"] = [new("POST", $"{h}/{hook}/secret/rotate", null, HttpStatusCode.NotFound)],
            ["POST /api/v1/webhooks/{webhookId:guid}/test"] = [new("POST", $"{h}/{hook}/test", null, HttpStatusCode.NotFound)],
            ["POST /api/v1/webhooks/{webhookId:guid}/logs/{logId:guid}/redeliver"] =
            [
                new("POST", $"{h}/{hook}/logs/{w.AliceLog}/redeliver", null, HttpStatusCode.NotFound),
                new("POST", $"{h}/{bobHook}/logs/{w.AliceLog}/redeliver", null, HttpStatusCode.NotFound),
                new("POST", $"{h}/{hook}/logs/{w.BobLog}/redeliver", null, HttpStatusCode.NotFound),
            ],
            ["POST /api/v1/webhooks/{webhookId:guid}/recover"] =
            [
                new("POST", $"{h}/{failing}/recover?since=2000-01-01T00:00:00Z", null, HttpStatusCode.NotFound),
                new("POST", $"{h}/{bobHook}/recover?since=2000-01-01T00:00:00Z", null, HttpStatusCode.Accepted),
            ],
            ["POST /api/v1/events/"] =
            [
                new("POST", "/api/v1/events", $$"""{"workspaceId":"{{w.Alice}}","eventType":"task_added"}""", HttpStatusCode.BadRequest),
                new("POST", "/api/v1/events", w.AliceEventBody, HttpStatusCode.Accepted, IsolationWorld.IdempotencyKey),
            ],
            // An agent's tools are API requests made as its token: the same answers (tool errors inside a 200), the same isolation.
            ["POST /mcp/"] =
            [
                new("POST", "/mcp", Mcp("get_webhook", new { webhookId = hook }), HttpStatusCode.OK),
                new("POST", "/mcp", Mcp("update_webhook", new { webhookId = hook, name = "bob was here" }), HttpStatusCode.OK),
                new("POST", "/mcp", Mcp("delete_webhook", new { webhookId = hook }), HttpStatusCode.OK),
                new("POST", "/mcp", Mcp("list_webhooks", new { filterBy = $"name eq '{w.AliceHook.Name}'" }), HttpStatusCode.OK),
                new("POST", "/mcp", Mcp("search_delivery_logs", new { webhookId = bobHook, filterBy = $"eventId eq guid'{w.AliceEvent}'" }), HttpStatusCode.OK),
                new("POST", "/mcp", Mcp("redeliver", new { webhookId = hook, logId = w.AliceLog }), HttpStatusCode.OK),
                new("POST", "/mcp", Mcp("send_test_event", new { webhookId = hook }), HttpStatusCode.OK),
                new("POST", "/mcp", Mcp("recover_since", new { webhookId = failing, since = "2000-01-01T00:00:00Z" }), HttpStatusCode.OK),
                new("POST", "/mcp", Mcp("get_signing_secret", new { webhookId = hook }), HttpStatusCode.OK),
                new("POST", "/mcp", Mcp("rotate_signing_secret", new { webhookId = hook, algorithm = "ed25519" }), HttpStatusCode.OK),
                new("POST", "/mcp", Mcp("publish_event", new { workspaceId = w.Alice, eventType = "task_added" }), HttpStatusCode.OK),
            ],
            // Figures for every workspace at once: system tokens with metrics:read only, never a workspace token.
            ["* /metrics"] = [new("GET", "/metrics", null, HttpStatusCode.Unauthorized)],
            ["POST /api/v1/events/batch"] =
            [
                new("POST", "/api/v1/events/batch", $$"""[{"eventType":"task_added"},{"workspaceId":"{{w.Alice}}","eventType":"task_added"}]""",
                    HttpStatusCode.BadRequest),
                // The key is Bob's own by now (the single-event probe above used it), so his earlier request, not
                // Alice's, is what this one conflicts with.
                new("POST", "/api/v1/events/batch", $"[{w.AliceEventBody}]", HttpStatusCode.Conflict, IsolationWorld.IdempotencyKey),
            ],
            // The portal knows sessions, not bearer tokens: without its cookie every page is the sign-in page (after the
            // redirect; a form posted there too, before anything else is looked at), a form of the pages before a session is refused
            // without its antiforgery token, and a made-up link opens nothing.
            ["* portal"] = [new("GET", "/portal", null, HttpStatusCode.OK)],
            ["* portal/signin"] = [new("GET", "/portal/signin", null, HttpStatusCode.OK), new("POST", "/portal/signin", null, HttpStatusCode.BadRequest)],
            ["* portal/signout"] = [new("POST", "/portal/signout", null, HttpStatusCode.BadRequest)],
            ["* portal/language"] = [new("POST", "/portal/language", null, HttpStatusCode.BadRequest)],
            ["* portal/enter"] = [new("GET", $"/portal/enter?link={w.Alice}", null, HttpStatusCode.Forbidden)],
            ["* portal/event-types"] = [new("GET", "/portal/event-types", null, HttpStatusCode.OK)],
            ["* portal/webhooks/new"] = [new("GET", "/portal/webhooks/new", null, HttpStatusCode.OK), new("POST", "/portal/webhooks/new", null, HttpStatusCode.OK)],
            ["* portal/webhooks/{id:guid}"] =
                [new("GET", $"/portal/webhooks/{hook}", null, HttpStatusCode.OK), new("POST", $"/portal/webhooks/{hook}?handler=delete", null, HttpStatusCode.OK)],
            ["* portal/webhooks/{id:guid}/edit"] = [new("GET", $"/portal/webhooks/{hook}/edit", null, HttpStatusCode.OK)],
            ["* portal/webhooks/{id:guid}/attempts/{logId:guid}"] = [new("GET", $"/portal/webhooks/{hook}/attempts/{w.AliceLog}", null, HttpStatusCode.OK)],
            ["GET /portal/assets/{name}"] = [new("GET", "/portal/assets/portal.css", null, HttpStatusCode.OK), new("GET", "/portal/assets/x.js", null, HttpStatusCode.NotFound)],
            // Links into any workspace: system tokens with portal:issue only.
            ["POST /api/v1/portal/links"] = [new("POST", "/api/v1/portal/links", $$"""{"workspaceId":"{{w.Alice}}"}""", HttpStatusCode.Unauthorized)],
            ["* /health/live"] = [new("GET", "/health/live", null, HttpStatusCode.OK)],
            ["* /health/ready"] = [new("GET", "/health/ready", null, HttpStatusCode.OK)],
            ["GET /openapi/{documentName}.json"] = [new("GET", "/openapi/v1.json", null, HttpStatusCode.OK)],
            ["GET /docs/{documentName?}"] = [new("GET", "/docs/", null, HttpStatusCode.OK), new("GET", "/docs/v1", null, HttpStatusCode.OK)],
            ["GET /docs/scalar.js"] = [new("GET", "/docs/scalar.js", null, HttpStatusCode.OK)],
            ["GET /docs/scalar.aspnetcore.js"] = [new("GET", "/docs/scalar.aspnetcore.js", null, HttpStatusCode.OK)],
            ["GET /docs/favicon.svg"] = [new("GET", "/docs/favicon.svg", null, HttpStatusCode.OK)],
        };
    }

    private static string Mcp(string tool, object arguments) => System.Text.Json.JsonSerializer.Serialize(
        new { jsonrpc = "2.0", id = 1, method = "tools/call", @params = new { name = tool, arguments } });
}
