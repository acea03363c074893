using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Hookline.Tests.Support;
using Microsoft.AspNetCore.Http;
using Xunit.Abstractions;

namespace Hookline.Tests.Reliability;

/// <summary>
/// Kill -9 five times at random moments while events are published and delivered, restarting on the same SQLite file
/// each time: every event that got a 202 arrives, none is lost, and the duplicates (at-least-once) are counted.
/// </summary>
public sealed class CrashLoopTests(ITestOutputHelper output) : IDisposable
{
    private const int Seed = 7_0505;
    private const int Kills = 5;
    private const int BatchSize = 20;
    private readonly TempDatabase _db = new();

    public void Dispose() => _db.Dispose();

    [Fact]
    public async Task EveryAcceptedEventArrivesThroughFiveSigkillsWhilePublishing()
    {
        var events = TestSize.Pick(ci: 2_000, full: 20_000);
        var random = new Random(Seed);
        var clock = Stopwatch.StartNew();
        await using var receiver = await Receiver.StartAsync();
        receiver.Respond = async (_, http) => { await Task.Delay(2); await http.Response.WriteAsync("ok"); };
        var env = new Dictionary<string, string>
        {
            ["Hookline__Database__ConnectionString"] = _db.Path,
            ["Hookline__Delivery__AllowPrivateNetworks"] = "true",
            ["Hookline__Delivery__Timeout"] = "00:00:02",
            ["Hookline__Delivery__Lease"] = "00:00:03",
            ["Hookline__Delivery__PollInterval"] = "00:00:00.100",
            ["Hookline__Delivery__RetrySchedule__0"] = "00:00:00.200",
            ["Hookline__RateLimits__PerSecond"] = "1000000",
            ["Hookline__RateLimits__PerMinute"] = "60000000",
        };
        var workspace = Guid.NewGuid();
        var token = (await HooklineProcess.RunAsync(env, "tokens", "create", "--workspace", workspace.ToString(),
            "--permissions", "admin,events:publish")).LastLine;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        var server = await HooklineServer.StartAsync(env);
        try
        {
            var created = await http.PostAsJsonAsync($"{server.Url}/api/v1/webhooks", Json.Form(uri: receiver.Url + "/crash"));
            Assert.Equal(HttpStatusCode.OK, created.StatusCode);

            // The kills land when these many events have been acknowledged: random, spread over the publishing.
            var killAt = Enumerable.Range(0, Kills).Select(_ => random.Next(events / 20, events * 7 / 10)).Order().ToList();
            var acknowledged = new ConcurrentDictionary<string, bool>();
            var publisher = new Publisher(http, () => server.Url, events);
            var publishing = Task.Run(() => publisher.RunAsync(acknowledged));

            var kills = new List<string>();
            foreach (var threshold in killAt)
            {
                await Eventually.TrueAsync(() => acknowledged.Count >= threshold || publishing.IsCompleted, 120, $"{threshold} events acknowledged");
                await Task.Delay(random.Next(0, 100)); // and a moment later, not in step with a request
                Assert.False(publishing.IsCompleted, "every kill must land while events are being published");
                server.Kill();
                server.Dispose();
                kills.Add($"{acknowledged.Count} acknowledged/{receiver.Count} received");
                server = await HooklineServer.StartAsync(env);
            }
            await publishing;
            Assert.Equal(events, acknowledged.Count);

            await Eventually.TrueAsync(() => EntityIds(receiver).Count >= events, TestSize.Pick(180, 900), "every acknowledged event to arrive");
            await Task.Delay(300); // late duplicates of leases that expired just now still count
            var received = receiver.Requests;
            var ids = received.Select(r => r.Header("webhook-id")).ToList();
            var duplicates = ids.Count - ids.Distinct().Count();
            output.WriteLine($"seed {Seed}: {events} events published in batches of {BatchSize}, {Kills} SIGKILLs at: {string.Join("; ", kills)}");
            output.WriteLine($"{publisher.Failures} publish requests failed while Hookline was down and were retried ({publisher.Replays} answered from the idempotency record)");
            output.WriteLine($"received {ids.Count} requests for {ids.Distinct().Count()} deliveries: {duplicates} duplicates; lost {acknowledged.Keys.Except(EntityIds(receiver)).Count()}; {clock.Elapsed.TotalSeconds:0.0} s");

            Assert.Equal(acknowledged.Keys.Order(), EntityIds(receiver).Order()); // nothing lost, nothing made up
            Assert.Equal(events, ids.Distinct().Count());                          // one delivery per event: retried batches were not stored twice
        }
        finally
        {
            server.Dispose();
        }
    }

    private static HashSet<string> EntityIds(Receiver receiver) =>
        receiver.Requests.Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("entityId").GetString()!).ToHashSet();

    /// <summary>Publishes batches in order; a request that fails because Hookline is down is sent again with the same Idempotency-Key.</summary>
    private sealed class Publisher(HttpClient http, Func<string> url, int events)
    {
        public int Failures { get; private set; }
        public int Replays { get; private set; }

        public async Task RunAsync(ConcurrentDictionary<string, bool> acknowledged)
        {
            for (var start = 0; start < events; start += BatchSize)
            {
                var ids = Enumerable.Range(start, Math.Min(BatchSize, events - start)).Select(i => $"e{i}").ToList();
                var body = ids.Select(id => TestEvents.Event(entityId: id)).ToList();
                var key = $"batch-{start}";
                while (true)
                {
                    try
                    {
                        using var request = new HttpRequestMessage(HttpMethod.Post, $"{url()}/api/v1/events/batch") { Content = JsonContent.Create(body) };
                        request.Headers.Add("Idempotency-Key", key);
                        using var response = await http.SendAsync(request);
                        if (response.StatusCode == HttpStatusCode.Accepted)
                        {
                            if (response.Headers.Contains("Idempotent-Replayed")) Replays++;
                            foreach (var id in ids) acknowledged[id] = true;
                            break;
                        }
                        Assert.True((int)response.StatusCode >= 500, $"a request Hookline refused: {(int)response.StatusCode}");
                    }
                    catch (HttpRequestException) { } // down: connection refused or reset by the kill
                    catch (TaskCanceledException) { }
                    Failures++;
                    await Task.Delay(50);
                }
            }
        }
    }
}
