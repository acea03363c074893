using System.Net;
using Hookline.Tests.Support;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Hookline.Tests.Security;

/// <summary>
/// Every endpoint the app maps (read from its EndpointDataSource, so a new one fails the coverage test until it is
/// added here) is probed with another workspace's webhook, log and event ids, with Alice's revoked token, with a
/// system token and with none. Answers must be the expected status, must not carry any of Alice's ids, URIs, names or
/// secrets that the request did not itself contain, and Alice's stored rows must be the same afterwards.
/// Auth/IsolationTests covers the basic webhook CRUD case; this goes over the whole surface.
/// </summary>
public sealed class EndpointIsolationTests : IAsyncLifetime
{
    private readonly HooklineFactory _app = new(TestEvents.FastDelivery());
    private Receiver _receiver = null!;
    private IsolationWorld _world = null!;

    public async Task InitializeAsync()
    {
        _receiver = await Receiver.StartAsync();
        _receiver.Respond = (r, http) =>
        {
            http.Response.StatusCode = r.Path.StartsWith("/fail") ? 500 : 200;
            return http.Response.WriteAsync("ok");
        };
        _world = new IsolationWorld(_app, _receiver);
        await _world.BuildAsync();
    }

    public async Task DisposeAsync()
    {
        await _receiver.DisposeAsync();
        await _app.DisposeAsync();
    }

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
            ["POST /api/v1/events/batch"] =
            [
                new("POST", "/api/v1/events/batch", $$"""[{"eventType":"task_added"},{"workspaceId":"{{w.Alice}}","eventType":"task_added"}]""",
                    HttpStatusCode.BadRequest),
                // The key is Bob's own by now (the single-event probe above used it), so his earlier request, not
                // Alice's, is what this one conflicts with.
                new("POST", "/api/v1/events/batch", $"[{w.AliceEventBody}]", HttpStatusCode.Conflict, IsolationWorld.IdempotencyKey),
            ],
            ["* /health/live"] = [new("GET", "/health/live", null, HttpStatusCode.OK)],
            ["* /health/ready"] = [new("GET", "/health/ready", null, HttpStatusCode.OK)],
            ["GET /openapi/{documentName}.json"] = [new("GET", "/openapi/v1.json", null, HttpStatusCode.OK)],
            ["GET /docs/{documentName?}"] = [new("GET", "/docs/", null, HttpStatusCode.OK), new("GET", "/docs/v1", null, HttpStatusCode.OK)],
            ["GET /docs/scalar.js"] = [new("GET", "/docs/scalar.js", null, HttpStatusCode.OK)],
            ["GET /docs/scalar.aspnetcore.js"] = [new("GET", "/docs/scalar.aspnetcore.js", null, HttpStatusCode.OK)],
            ["GET /docs/favicon.svg"] = [new("GET", "/docs/favicon.svg", null, HttpStatusCode.OK)],
        };
    }

    /// <summary>The app's endpoints as "METHODS pattern", each with the authorization policies it demands (none: anonymous).</summary>
    private Dictionary<string, string[]> MappedEndpoints()
    {
        _app.CreateClient().Dispose(); // starts the host, which builds the endpoints
        return _app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToDictionary(
            e => $"{string.Join(",", e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["*"])} {e.RoutePattern.RawText}",
            e => e.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy ?? "(default)").ToArray());
    }

    private static readonly string[] Anonymous =
    [
        "* /health/live", "* /health/ready", "GET /openapi/{documentName}.json", "GET /docs/{documentName?}", "GET /docs/scalar.js",
        "GET /docs/scalar.aspnetcore.js", "GET /docs/favicon.svg",
    ];

    [Fact]
    public void Only_probes_docs_and_health_are_anonymous_and_only_event_publishing_takes_system_tokens()
    {
        var mapped = MappedEndpoints();
        Assert.Equal(Anonymous.Order(), mapped.Where(e => e.Value.Length == 0).Select(e => e.Key).Order());
        Assert.Equal(["POST /api/v1/events/", "POST /api/v1/events/batch"],
            mapped.Where(e => e.Value.Contains(Hookline.Auth.Policies.EventsPublish)).Select(e => e.Key).Order());
    }

    [Fact]
    public async Task Another_workspace_gets_nothing_of_alices_and_changes_nothing_of_hers_on_any_endpoint()
    {
        var before = await _world.SnapshotAliceAsync();
        var aliceRequests = AliceRequests();
        var probes = BobsProbes().SelectMany(p => p.Value).ToList();

        foreach (var probe in probes)
        {
            var (status, text, response) = await SendAsync(_world.BobAdmin, probe);
            Assert.True(probe.Expected == status, $"{probe.Method} {probe.Path}: {status}, expected {probe.Expected}: {text}");
            Assert.False(response.Headers.Contains("Idempotent-Replayed"), $"{probe.Path} replayed Alice's answer: {text}");
            AssertNoLeak(probe, text);
        }

        await _world.SettledAsync();
        Assert.Equal(before, await _world.SnapshotAliceAsync());
        Assert.Equal(aliceRequests, AliceRequests()); // nothing more was sent to Alice's receivers
        Assert.True(before.Count >= 15, $"the snapshot holds Alice's data ({before.Count} rows)");
        Assert.True(probes.Count >= 30, $"{probes.Count} probes");
    }

    [Fact]
    public async Task Revoked_system_and_missing_tokens_get_401_on_every_endpoint_that_needs_a_token()
    {
        var before = await _world.SnapshotAliceAsync();
        var mapped = MappedEndpoints();
        var callers = new (string Name, HttpClient Client)[]
        {
            ("Alice's revoked token", _app.ClientWithToken(_world.AliceRevokedToken)), ("no token", _app.CreateClient()),
            ("a system token", _app.ClientWithToken(_world.SystemToken)),
        };
        var sent = 0;
        foreach (var (endpoint, probes) in BobsProbes())
        {
            var system = mapped[endpoint].Contains(Hookline.Auth.Policies.EventsPublish);
            foreach (var (name, client) in callers)
            {
                foreach (var probe in probes)
                {
                    // Operators publish to any workspace by design: a system token gets only an event without one.
                    var p = system && name == "a system token"
                        ? probe with { Body = probe.Path.EndsWith("batch") ? """[{"eventType":"task_added"}]""" : """{"eventType":"task_added"}""",
                            Expected = HttpStatusCode.BadRequest }
                        : mapped[endpoint].Length > 0 ? probe with { Expected = HttpStatusCode.Unauthorized } : probe;
                    var (status, text, _) = await SendAsync(client, p);
                    Assert.True(p.Expected == status, $"{name}: {p.Method} {p.Path}: {status}, expected {p.Expected}: {text}");
                    AssertNoLeak(p, text);
                    sent++;
                }
            }
        }
        Assert.Equal(before, await _world.SnapshotAliceAsync());
        Assert.True(sent >= 90, $"{sent} requests");
    }

    private List<string> AliceRequests() =>
        _receiver.Requests.Where(r => !r.Path.StartsWith("/bob")).Select(r => r.Path + " " + r.Header("webhook-id")).ToList();

    private static async Task<(HttpStatusCode Status, string Text, HttpResponseMessage Response)> SendAsync(HttpClient client, Probe probe)
    {
        var request = new HttpRequestMessage(new HttpMethod(probe.Method), probe.Path);
        if (probe.Body is not null) request.Content = Json.Body(probe.Body);
        if (probe.IdempotencyKey is not null) request.Headers.Add("Idempotency-Key", probe.IdempotencyKey);
        var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode < 500, $"{probe.Method} {probe.Path}: {(int)response.StatusCode} {text}");
        var headers = string.Join("\n", response.Headers.Concat(response.Content.Headers).Select(x => $"{x.Key}: {string.Join(",", x.Value)}"));
        return (response.StatusCode, headers + "\n\n" + text, response);
    }

    /// <summary>Nothing of Alice's in the answer, unless the request itself carried it (a 404 may name the id asked for).</summary>
    private void AssertNoLeak(Probe probe, string answer)
    {
        var asked = Uri.UnescapeDataString(probe.Path) + " " + probe.Body;
        foreach (var secret in _world.Sensitive.Where(s => !asked.Contains(s, StringComparison.OrdinalIgnoreCase)))
            Assert.False(answer.Contains(secret, StringComparison.OrdinalIgnoreCase), $"{probe.Method} {probe.Path} leaked '{secret}': {answer}");
    }

    [Fact]
    public void Every_mapped_endpoint_is_probed()
    {
        var mapped = MappedEndpoints().Keys.ToHashSet();
        var probed = BobsProbes().Keys.ToHashSet();
        Assert.True(mapped.SetEquals(probed),
            $"Not probed: [{string.Join("; ", mapped.Except(probed))}]. Probed but not mapped: [{string.Join("; ", probed.Except(mapped))}].");
    }
}
