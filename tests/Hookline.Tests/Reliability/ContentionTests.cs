using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hookline.Auth;
using Hookline.Tests.Support;
using Xunit.Abstractions;

namespace Hookline.Tests.Reliability;

/// <summary>
/// Management writes, single and batch ingest, delivery and a second process writing tokens, all at once on one SQLite
/// file: no client sees a 5xx and no log line says the database was locked or busy. Again on PostgreSQL in ./test.sh's second
/// pass, where the same churn found a webhook delete deadlocking with the recording of its results (503, three runs in three).
/// </summary>
public sealed class ContentionTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ApiWritesIngestAndDeliveryAtFullSpeedNeverMeetALockedDatabase()
    {
        var (churners, cycles) = (4, TestSize.Pick(ci: 40, full: 250));
        var (singlePublishers, singles) = (4, TestSize.Pick(ci: 200, full: 1_000));
        var (batchPublishers, batches, batchSize) = (2, TestSize.Pick(ci: 15, full: 100), 100);
        var clock = Stopwatch.StartNew();
        await using var receiver = await Receiver.StartAsync();
        using var app = new HooklineFactory(TestEvents.FastDelivery());
        var workspace = Guid.NewGuid();
        var admin = await app.AdminAsync(workspace);
        var publisher = await app.ClientAsync(workspace, Permissions.EventsPublish);
        await admin.CreateWebhookAsync(Json.Form(uri: receiver.Url + "/stable"));
        var unexpected = new ConcurrentQueue<string>();

        async Task Expect(HttpStatusCode status, Task<HttpResponseMessage> request, string what)
        {
            using var response = await request;
            if (response.StatusCode != status) unexpected.Enqueue($"{what}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        // Webhooks that come and go, subscribed to the same events: their deliveries are fanned out, then cancelled.
        var churn = Enumerable.Range(0, churners).Select(c => Task.Run(async () =>
        {
            for (var i = 0; i < cycles; i++)
            {
                var response = await admin.PostAsJsonAsync("/api/v1/webhooks", Json.Form(name: $"churn {c}/{i}", uri: receiver.Url + "/churn"));
                if (response.StatusCode != HttpStatusCode.OK) { unexpected.Enqueue($"create: {(int)response.StatusCode}"); continue; }
                var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
                await Expect(HttpStatusCode.OK, admin.PutAsJsonAsync($"/api/v1/webhooks/{id}", Json.Form(name: $"renamed {c}/{i}", uri: receiver.Url + "/churn")), "update");
                await Expect(HttpStatusCode.OK, admin.GetAsync("/api/v1/webhooks"), "list");
                await Expect(HttpStatusCode.NoContent, admin.DeleteAsync($"/api/v1/webhooks/{id}"), "delete");
            }
        }));
        var single = Enumerable.Range(0, singlePublishers).Select(p => Task.Run(async () =>
        {
            for (var i = 0; i < singles; i++)
                await Expect(HttpStatusCode.Accepted, publisher.PostAsJsonAsync("/api/v1/events", TestEvents.Event(entityId: $"s{p}-{i}")), "publish");
        }));
        var batch = Enumerable.Range(0, batchPublishers).Select(p => Task.Run(async () =>
        {
            for (var i = 0; i < batches; i++)
                await Expect(HttpStatusCode.Accepted, publisher.PostAsJsonAsync("/api/v1/events/batch",
                    Enumerable.Range(0, batchSize).Select(n => TestEvents.Event(entityId: $"b{p}-{i}-{n}"))), "publish batch");
        }));
        // Another process on the same file (an operator issuing tokens): its writes meet Hookline's across processes.
        var env = app.Postgres is null
            ? new Dictionary<string, string> { ["Hookline__Database__ConnectionString"] = app.Database.Path }
            : new Dictionary<string, string> { ["Hookline__Database__Provider"] = "postgres", ["Hookline__Database__ConnectionString"] = app.Postgres.ConnectionString };
        var cli = Enumerable.Range(0, 3).Select(_ => HooklineProcess.RunAsync(env, "tokens", "create", "--workspace", workspace.ToString(),
            "--permissions", "events:publish")).ToList();
        await Task.WhenAll(churn.Concat(single).Concat(batch).Concat(cli));

        var events = singlePublishers * singles + batchPublishers * batches * batchSize;
        await Eventually.TrueAsync(() => receiver.Requests.Count(r => r.Path == "/stable") >= events, TestSize.Pick(120, 600), "the stable webhook's deliveries");
        // Nothing is stranded: pending, of a webhook that no longer exists, with no due queue row, so that nothing would ever
        // send or cancel it. On PostgreSQL a delete's cancel read the queue in statements one after another, and an ingest
        // that committed between them left 426 so in one run. What the queue still holds due of a deleted webhook (an ingest
        // that read it just before its delete committed) is cancelled by the claim that meets it.
        const string Stranded = "SELECT COUNT(*) FROM deliveries d WHERE d.status = 0 AND NOT EXISTS (SELECT 1 FROM webhooks w WHERE w.id = d.webhook_id) " +
            "AND NOT EXISTS (SELECT 1 FROM delivery_queue q WHERE q.delivery_id = d.id AND q.due_at IS NOT NULL)";
        await Eventually.TrueAsync(async () => await app.ScalarAsync<long>(Stranded) == 0, 30, "no delivery of a deleted webhook stranded");
        var statuses = await app.QueryAsync<(long Status, long Count)>(
            "SELECT CAST(status AS bigint), CAST(COUNT(*) AS bigint) FROM deliveries GROUP BY status ORDER BY status;");
        var complaints = app.Logs.Lines.Where(l => l.Contains("locked", StringComparison.OrdinalIgnoreCase) || l.Contains("busy", StringComparison.OrdinalIgnoreCase)).ToList();
        // Data Protection warns once, when it makes the key ring's first key, that key files are not encrypted (see README).
        var warnings = app.Logs.Lines.Where(l => l.StartsWith("Warning") || l.StartsWith("Error") || l.StartsWith("Critical"))
            .Where(l => !l.StartsWith("Warning Microsoft.AspNetCore.DataProtection.KeyManagement.XmlKeyManager: No XML encryptor configured"))
            .ToList();
        output.WriteLine($"{churners * cycles * 3} management writes ({churners * cycles} webhooks created, updated, deleted) and {churners * cycles} lists, " +
            $"{singlePublishers * singles} single and {batchPublishers * batches} batch publishes ({events} events), 3 CLI token writes, in {clock.Elapsed.TotalSeconds:0.0} s");
        output.WriteLine($"deliveries by status (0 pending, 1 succeeded, 3 cancelled): {string.Join(", ", statuses.Select(s => $"{s.Status}: {s.Count}"))}");
        output.WriteLine($"unexpected answers: {unexpected.Count}; log lines about locked/busy: {complaints.Count}; warnings or errors: {warnings.Count}");
        foreach (var line in unexpected.Concat(complaints).Concat(warnings).Take(10)) output.WriteLine(line);

        Assert.Empty(unexpected);
        Assert.Empty(complaints);
        Assert.Empty(warnings);
        Assert.All(await Task.WhenAll(cli), o => Assert.Equal(0, o.ExitCode));
        Assert.Equal(events, receiver.Requests.Where(r => r.Path == "/stable").Select(r => r.Header("webhook-id")).Distinct().Count());
    }
}
