using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Hookline.Tests.Support;
using Microsoft.AspNetCore.Http;
using Npgsql;
using Xunit.Abstractions;

namespace Hookline.Tests.ScaleOut;

/// <summary>Several Hookline processes on one PostgreSQL (from ./test.sh; skipped without one), as operators scale it out.</summary>
[Collection(nameof(AloneOnTheMachine))]
public sealed class ScaleOutTests(ITestOutputHelper output) : IDisposable
{
    private readonly PostgresTestDatabase _db = new();
    private readonly List<HooklineServer> _nodes = [];

    public void Dispose()
    {
        foreach (var node in _nodes) node.Dispose();
        _db.Dispose();
    }

    private Dictionary<string, string> Env(string node, string lease = "00:01:00") => new()
    {
        ["Hookline__Database__Provider"] = "postgres",
        ["Hookline__Database__ConnectionString"] = _db.ConnectionString,
        ["Hookline__Delivery__AllowPrivateNetworks"] = "true",
        ["Hookline__Delivery__Timeout"] = "00:00:02",
        ["Hookline__Delivery__Lease"] = lease,
        ["Hookline__Delivery__Concurrency"] = "16",
        // Leases and shared work, not fairness: on a loaded machine the receiver's 15 ms can pass the 250 ms default, and a
        // node that finds the webhook slow parks its backlog, which stays parked for 5 minutes should that node be killed.
        ["Hookline__Delivery__SlowAfter"] = "00:00:01.500",
        ["Hookline__Delivery__RetrySchedule__0"] = "00:00:00.200",
        ["Hookline__Node__Name"] = node,
    };

    /// <summary>Starts the nodes together (they race for the migration lock), then makes a token and webhooks.</summary>
    private async Task<HttpClient> StartAsync(int nodes, string lease, Receiver receiver, int webhooks)
    {
        _nodes.AddRange(await Task.WhenAll(Enumerable.Range(1, nodes).Select(i => HooklineServer.StartAsync(Env($"n{i}", lease)))));
        var created = await HooklineProcess.RunAsync(Env("cli"), "tokens", "create", "--workspace", Guid.NewGuid().ToString(),
            "--permissions", "admin,events:publish");
        Assert.Equal(0, created.ExitCode);
        var client = new HttpClient { BaseAddress = new Uri(_nodes[0].Url) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", created.LastLine);
        for (var w = 0; w < webhooks; w++) await client.CreateWebhookAsync(Json.Form(uri: $"{receiver.Url}/w{w}"));
        return client;
    }

    private static async Task PublishAsync(HttpClient[] clients, int events)
    {
        for (var batch = 0; batch < events / 100; batch++)
        {
            var body = Enumerable.Range(batch * 100, 100).Select(i => TestEvents.Event(entityId: $"e{i}")).ToArray();
            var response = await clients[batch % clients.Length].PostAsJsonAsync("/api/v1/events/batch", body);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }
    }

    private async Task<Dictionary<string, long>> AttemptsByNodeAsync()
    {
        await using var c = new NpgsqlConnection(_db.ConnectionString);
        return (await c.QueryAsync<(string Node, long Count)>("SELECT node, COUNT(*) FROM webhook_logs GROUP BY node ORDER BY node;"))
            .ToDictionary(r => r.Node, r => r.Count);
    }

    [PostgresFact]
    public async Task ThreeNodesDeliverEveryOneOf25000DeliveriesAndShareTheWork()
    {
        const int events = 5000, webhooks = 5;
        await using var receiver = await Receiver.StartAsync();
        var client = await StartAsync(3, "00:01:00", receiver, webhooks);
        var clients = _nodes.Select(n => new HttpClient { BaseAddress = new Uri(n.Url), DefaultRequestHeaders = { Authorization = client.DefaultRequestHeaders.Authorization } }).ToArray();

        await PublishAsync(clients, events);
        await Eventually.TrueAsync(() => receiver.Count >= events * webhooks, 180, "every delivery");
        await Task.Delay(500); // anything sent twice would arrive by now

        var ids = receiver.Requests.Select(r => r.Header("webhook-id")).ToList();
        var duplicates = ids.Count - ids.Distinct().Count();
        var byNode = await AttemptsByNodeAsync();
        output.WriteLine($"{ids.Distinct().Count()} deliveries, {duplicates} duplicates; attempts by node: " +
                         string.Join(", ", byNode.Select(kv => $"{kv.Key}={kv.Value}")));
        Assert.Equal(events * webhooks, ids.Distinct().Count());
        Assert.Equal(0, duplicates); // no lease expired, so nothing may be sent twice
        foreach (var w in Enumerable.Range(0, webhooks))
            Assert.Equal(events, receiver.Requests.Where(r => r.Path == $"/w{w}").Select(EntityId).Distinct().Count());
        Assert.Equal(["n1", "n2", "n3"], byNode.Keys);
        await using var c = new NpgsqlConnection(_db.ConnectionString);
        Assert.Equal(1, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM workspaces WHERE name = 'default';")); // one first start, not three
        Assert.All(byNode.Values, count => Assert.True(count >= events * webhooks / 20, $"each node did a share of the work: {count}"));
    }

    [PostgresFact]
    public async Task WhenANodeIsKilledTheOthersFinishItsLeasedWorkAfterTheLeaseExpires()
    {
        const int events = 2000;
        await using var receiver = await Receiver.StartAsync();
        receiver.Respond = async (_, http) => { await Task.Delay(15); await http.Response.WriteAsync("ok"); };
        var client = await StartAsync(3, "00:00:03", receiver, webhooks: 1);
        await PublishAsync([client], events);

        await Eventually.TrueAsync(() => receiver.Count >= 300, 60, "deliveries under way");
        _nodes[1].Kill();
        var killedAt = DateTimeOffset.UtcNow;
        await using var c = new NpgsqlConnection(_db.ConnectionString);
        var orphaned = (await c.QueryAsync<long>("SELECT delivery_id FROM delivery_queue WHERE leased_by = 'n2' AND due_at IS NOT NULL AND lease_until > now();")).ToList();
        output.WriteLine($"killed n2 after {receiver.Count} of {events} deliveries; it held {orphaned.Count} leases");
        Assert.NotEmpty(orphaned);

        await Eventually.TrueAsync(() => receiver.Requests.Select(EntityId).Distinct().Count() == events, 120, "every event");
        var ids = receiver.Requests.Select(r => r.Header("webhook-id")).ToList();
        output.WriteLine($"{ids.Distinct().Count()} deliveries, {ids.Count - ids.Distinct().Count()} duplicates (sent by n2 but not recorded before the kill)");
        Assert.Equal(events, ids.Distinct().Count());
        await Eventually.TrueAsync(async () => await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM deliveries WHERE status <> 1;") == 0,
            30, "every result recorded");

        var finishers = (await c.QueryAsync<(string Node, DateTime At)>(
            "SELECT node, created_on FROM webhook_logs WHERE delivery_id = ANY(@orphaned) AND is_successful;", new { orphaned = orphaned.ToArray() })).ToList();
        Assert.Equal(orphaned.Count, finishers.Count);
        Assert.All(finishers, f => Assert.NotEqual("n2", f.Node));
        Assert.All(finishers, f => Assert.True(f.At >= killedAt.UtcDateTime.AddSeconds(-1), "taken over only after the kill"));
    }

    [PostgresFact]
    public async Task AnEventAcceptedByAnApiNodeWakesAWorkerNodeWithoutWaitingForItsPoll()
    {
        await using var receiver = await Receiver.StartAsync();
        Dictionary<string, string> Node(string name, string role)
        {
            var env = Env(name);
            env["Hookline__Delivery__PollInterval"] = "00:01:00";
            env[$"Hookline__Node__{role}"] = "false";
            return env;
        }
        _nodes.Add(await HooklineServer.StartAsync(Node("api", "Worker")));
        _nodes.Add(await HooklineServer.StartAsync(Node("worker", "Api")));
        var created = await HooklineProcess.RunAsync(Env("cli"), "tokens", "create", "--workspace", Guid.NewGuid().ToString(),
            "--permissions", "admin,events:publish");
        var client = new HttpClient { BaseAddress = new Uri(_nodes[0].Url) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", created.LastLine);
        await client.CreateWebhookAsync(Json.Form(uri: $"{receiver.Url}/w"));
        await Task.Delay(1000); // the worker's first claim (at start) is over: from now on only a wake or the minute-long poll
        for (var i = 1; i <= 3; i++)
        {
            await client.PublishAsync(TestEvents.Event());
            await Eventually.TrueAsync(() => receiver.Count == i, 10, $"delivery {i} by the other node, woken by NOTIFY");
        }
        // Results are recorded a moment after the receiver answers (batched by the worker's result writer).
        await Eventually.TrueAsync(async () => (await AttemptsByNodeAsync()).Values.Sum() == 3, 10, "the three attempts logged");
        Assert.Equal(["worker"], (await AttemptsByNodeAsync()).Keys);
    }

    /// <summary>Three nodes, one webhook, one policy: each node's claims take the others' into account.</summary>
    private async Task<HttpClient[]> PolicyAsync(Receiver receiver, string policy)
    {
        var client = await StartAsync(3, "00:01:00", receiver, webhooks: 1);
        var hook = (await client.ListAsync<Hookline.Webhooks.WebhookConfig>("/api/v1/webhooks")).Single();
        var put = await client.PutAsync($"/api/v1/webhooks/{hook.Id}/policy", new StringContent(policy, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        return _nodes.Select(n => new HttpClient { BaseAddress = new Uri(n.Url), DefaultRequestHeaders = { Authorization = client.DefaultRequestHeaders.Authorization } }).ToArray();
    }

    [PostgresFact]
    public async Task ThreeNodesTogetherKeepAWebhooksMaxPerSecondWithinTenPercentOverThirtySeconds()
    {
        await using var receiver = await Receiver.StartAsync();
        var clients = await PolicyAsync(receiver, """{"maxPerSecond":20}""");
        await PublishAsync(clients, 1000);
        await Eventually.TrueAsync(() => receiver.Count > 0, 30, "the first delivery");
        var first = receiver.Requests.Min(r => r.At);
        await Task.Delay(first.AddSeconds(31) - DateTimeOffset.UtcNow);
        var inWindow = receiver.Requests.Count(r => r.At < first.AddSeconds(30));
        var byNode = await AttemptsByNodeAsync();
        output.WriteLine($"{inWindow} deliveries in the first 30 s at 20 a second; attempts by node: {string.Join(", ", byNode.Select(kv => $"{kv.Key}={kv.Value}"))}");
        Assert.InRange(inWindow, 540, 660);
        Assert.True(byNode.Count >= 2, "more than one node sent them");
    }

    [PostgresFact]
    public async Task ThreeNodesDeliverAFifoWebhooksEventsInOrderWithARetryInBetween()
    {
        await using var receiver = await Receiver.StartAsync();
        var failuresLeft = 1; // these nodes retry once
        receiver.Respond = (r, http) =>
        {
            if (EntityId(r) == "e3" && Interlocked.Decrement(ref failuresLeft) >= 0) http.Response.StatusCode = 503;
            return http.Response.WriteAsync("ok");
        };
        var clients = await PolicyAsync(receiver, """{"ordering":"fifo"}""");
        for (var i = 0; i < 30; i++) await clients[i % 3].PublishAsync(TestEvents.Event(entityId: $"e{i}"));
        await Eventually.TrueAsync(() => receiver.Requests.Select(EntityId).Distinct().Count() == 30, 60, "every event");

        var attempts = receiver.Requests.OrderBy(r => r.At).Select(EntityId).ToList();
        output.WriteLine($"{string.Join(" ", attempts)}; attempts by node: {string.Join(", ", (await AttemptsByNodeAsync()).Select(kv => $"{kv.Key}={kv.Value}"))}");
        Assert.Equal(["e0", "e1", "e2", "e3", "e3", .. Enumerable.Range(4, 26).Select(i => $"e{i}")], attempts);
    }

    private static string EntityId(Received r) => JsonDocument.Parse(r.Body).RootElement.GetProperty("entityId").GetString()!;
}
