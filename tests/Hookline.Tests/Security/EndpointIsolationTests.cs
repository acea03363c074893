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
public sealed partial class EndpointIsolationTests : IAsyncLifetime
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
        // the portal's pages that come before a session, and its stylesheet and script
        "* portal/signin", "* portal/enter", "* portal/language", "* portal/signout", "GET /portal/assets/{name}",
    ];

    [Fact]
    public void Only_probes_docs_health_and_the_portals_sign_in_are_anonymous_and_only_publishing_metrics_and_portal_links_take_system_tokens()
    {
        var mapped = MappedEndpoints();
        Assert.Equal(Anonymous.Order(), mapped.Where(e => e.Value.Length == 0).Select(e => e.Key).Order());
        Assert.Equal(["POST /api/v1/events/", "POST /api/v1/events/batch"],
            mapped.Where(e => e.Value.Contains(Hookline.Auth.Policies.EventsPublish)).Select(e => e.Key).Order());
        Assert.Equal(["* /metrics"], mapped.Where(e => e.Value.Contains(Hookline.Auth.Policies.MetricsRead)).Select(e => e.Key));
        Assert.Equal(["POST /api/v1/portal/links"], mapped.Where(e => e.Value.Contains(Hookline.Auth.Policies.PortalIssue)).Select(e => e.Key));
        Assert.All(mapped.Where(e => e.Key.StartsWith("* portal")), e => Assert.True(e.Value is [] or [Hookline.Portal.PortalSetup.ReadPolicy], e.Key));
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
                        // the portal's pages ignore bearer tokens: without a session they answer everyone alike
                        : mapped[endpoint].Length > 0 && !endpoint.StartsWith("* portal") ? probe with { Expected = HttpStatusCode.Unauthorized } : probe;
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
        if (probe.Path == "/mcp") request.Headers.TryAddWithoutValidation("Accept", "application/json, text/event-stream"); // Streamable HTTP asks for both
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
