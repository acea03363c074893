using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Dapper;
using Hookline.Tests.Support;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace Hookline.Tests.Reliability;

/// <summary>
/// Receivers that fail at random (500, hang, reset, slow): with enough short retries every delivery succeeds, and the log
/// holds exactly one row per attempt that reached a receiver — no attempt unrecorded, none recorded twice.
/// </summary>
public sealed class ChaosTests(ITestOutputHelper output)
{
    private const ulong Seed = 20260507;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task EveryDeliverySucceedsThroughChaosAndEachAttemptIsLoggedOnce()
    {
        var events = TestSize.Pick(ci: 1_500, full: 10_000);
        var clock = Stopwatch.StartNew();
        await using var tasks = await Receiver.StartAsync();
        await using var projects = await Receiver.StartAsync();
        var chaos = new ChaosReceiver(Seed, Timeout);
        tasks.Respond = chaos.RespondAsync;
        projects.Respond = chaos.RespondAsync;

        // 30 retries 50 ms apart: at a 40 % failure rate, 31 failures in a row are 0.4^31 ≈ 5e-13 per delivery.
        var settings = TestEvents.FastDelivery(("Hookline:Delivery:Timeout", "00:00:01"), ("Hookline:Delivery:Lease", "00:00:05"),
            ("Hookline:Delivery:PauseAfterConsecutiveFailures", "1000"));
        for (var i = 0; i < 30; i++) settings[$"Hookline:Delivery:RetrySchedule:{i}"] = "00:00:00.050";
        using var app = new HooklineFactory(settings);
        var workspace = Guid.NewGuid();
        var admin = await app.AdminAsync(workspace);
        await admin.CreateWebhookAsync(Json.Form(uri: tasks.Url + "/tasks", events: "task_added"));
        await admin.CreateWebhookAsync(Json.Form(uri: projects.Url + "/projects", events: "project_added"));

        var publisher = await app.ClientAsync(workspace, Hookline.Auth.Permissions.EventsPublish);
        for (var start = 0; start < events; start += 500)
        {
            var batch = Enumerable.Range(start, Math.Min(500, events - start))
                .Select(i => TestEvents.Event(i % 2 == 0 ? "task_added" : "project_added", entityId: $"e{i}")).ToList();
            Assert.Equal(HttpStatusCode.Accepted, (await publisher.PostAsJsonAsync("/api/v1/events/batch", batch)).StatusCode);
        }

        await using var db = new SqliteConnection($"Data Source={app.Database.Path};Pooling=false");
        await Eventually.TrueAsync(async () => await db.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM deliveries WHERE status = 1;") == events,
            TestSize.Pick(180, 900), "every delivery to succeed");
        var elapsed = clock.Elapsed;

        var statuses = (await db.QueryAsync<(long Status, long Count)>("SELECT status, COUNT(*) FROM deliveries GROUP BY status;")).ToList();
        Assert.Equal([(1L, (long)events)], statuses);
        var arrivals = tasks.Requests.Concat(projects.Requests).GroupBy(r => r.Header("webhook-id")).ToDictionary(g => g.Key, g => (long)g.Count());
        var attempts = (await db.QueryAsync<(string MessageId, long Attempts, long Logs, long Succeeded)>(
            """
            SELECT d.message_id, d.attempts, COUNT(l.id), COALESCE(SUM(l.is_successful), 0)
            FROM deliveries d LEFT JOIN webhook_logs l ON l.delivery_id = d.id GROUP BY d.id;
            """)).ToList();
        var logRows = await db.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM webhook_logs;");
        var reasons = (await db.QueryAsync<(string Reason, long Count)>(
            """
            SELECT CASE WHEN is_successful = 1 THEN 'succeeded' WHEN response_code = 500 THEN 'HTTP 500'
                        WHEN reason LIKE '%timeout%' THEN 'timeout' ELSE 'connection failed' END, COUNT(*)
            FROM webhook_logs GROUP BY 1 ORDER BY 1;
            """)).ToList();

        output.WriteLine($"seed {Seed}: {events} events, {attempts.Count} deliveries, {arrivals.Values.Sum()} attempts reached the receivers, " +
            $"{logRows} log rows, max {attempts.Max(a => a.Attempts)} attempts for one delivery, {elapsed.TotalSeconds:0.0} s");
        output.WriteLine("receivers did: " + string.Join(", ", chaos.Faults.OrderBy(f => f.Key).Select(f => $"{f.Key} {f.Value}")));
        output.WriteLine("log rows say: " + string.Join(", ", reasons.Select(r => $"{r.Reason} {r.Count}")));

        Assert.Equal(events, attempts.Count);
        Assert.All(attempts, a => Assert.Equal(a.Attempts, a.Logs));                  // one log row per recorded attempt
        Assert.All(attempts, a => Assert.Equal(1, a.Succeeded));                      // and exactly one success, the last
        Assert.All(attempts, a => Assert.Equal(a.Attempts, arrivals.GetValueOrDefault(a.MessageId))); // every attempt that reached a receiver is logged, no more
        Assert.Equal(arrivals.Values.Sum(), logRows);
        Assert.True(chaos.Faults.Count == 5, "every kind of fault happened");
    }
}
