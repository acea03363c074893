using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hookline.Auth;
using Hookline.Tests.Support;
using Hookline.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Hookline.Tests.Reliability;

/// <summary>
/// The disk under the SQLite file turns read-only or fills up while Hookline runs: ingest and the management API answer
/// 503 and keep nothing they answered 503 for, every 202 is delivered, and all of it works again once the disk does.
/// </summary>
public sealed class DiskTroubleTests(ITestOutputHelper output)
{
    [Fact]
    public async Task AReadOnlyDiskAnswers503AndHooklineRecoversWhenItIsWritableAgain()
    {
        if (!Tmpfs.Possible) { output.WriteLine("skipped: mounting needs root (CI runs as root)"); return; }
        using var disk = new Tmpfs("64m");
        await using var run = await Run.StartAsync(disk, output);
        await run.PublishRoundAsync(expectAccepted: true);

        var tries = await disk.MakeReadOnlyAsync(run.ConnectionString);
        output.WriteLine($"remounted read-only after {tries} tries");
        await run.AssertRefusedAsync(everything: true);

        disk.MakeWritable();
        await run.AssertRecoveredAsync();
    }

    [Fact]
    public async Task AFullDiskAnswers503AndHooklineRecoversWhenSpaceIsFreed()
    {
        if (!Tmpfs.Possible) { output.WriteLine("skipped: mounting needs root (CI runs as root)"); return; }
        using var disk = new Tmpfs("16m");
        await using var run = await Run.StartAsync(disk, output);
        await run.PublishRoundAsync(expectAccepted: true);

        output.WriteLine($"filled the disk with {disk.Fill() / 1024} KiB");
        // A write that still fits (SQLite reuses its log file after a checkpoint) may be accepted, and is then kept.
        await run.AssertRefusedAsync(everything: false);

        disk.Free();
        await run.AssertRecoveredAsync();
    }

    /// <summary>One Hookline on the troubled disk, a receiver, and the account of what was answered 202 and what 503.</summary>
    private sealed class Run : IAsyncDisposable
    {
        private const int Parallel = 8;
        private readonly ConcurrentBag<string> _accepted = [], _refused = [];
        private Receiver _receiver = null!;
        private DiskHookline _app = null!;
        private HttpClient _admin = null!, _publisher = null!, _reader = null!;
        private Guid _webhook;
        private string _database = "";
        private ITestOutputHelper _output = null!;
        private int _next;

        /// <summary>The connection string Hookline's pool is keyed by.</summary>
        public string ConnectionString => _app.Services.GetRequiredService<SqliteDb>().ConnectionString;

        public static async Task<Run> StartAsync(Tmpfs disk, ITestOutputHelper output)
        {
            var run = new Run { _output = output, _database = disk.DatabasePath, _receiver = await Receiver.StartAsync() };
            // A long poll interval leaves gaps in which no SQLite file is open, so that the disk can be remounted read-only.
            run._app = new DiskHookline(disk.DatabasePath, TestEvents.FastDelivery(("Hookline:Delivery:PollInterval", "00:00:01")));
            var workspace = Guid.NewGuid();
            run._admin = await run._app.ClientAsync(workspace, Permissions.Admin);
            run._publisher = await run._app.ClientAsync(workspace, Permissions.EventsPublish);
            // Used first during the fault: authenticating it wants to note its last use, a write the disk cannot take.
            run._reader = await run._app.ClientAsync(workspace, Permissions.ConfigRead);
            run._webhook = (await run._admin.CreateWebhookAsync(Json.Form(uri: run._receiver.Url))).Id;
            return run;
        }

        /// <summary>Single and batch requests at once (so that the group commit writes them together); each must be 202 or 503.</summary>
        public async Task<int> PublishRoundAsync(bool? expectAccepted)
        {
            var statuses = await Task.WhenAll(Enumerable.Range(0, Parallel).Select(i => PublishAsync(i % 2 == 0 ? 1 : 25)));
            if (expectAccepted is { } accepted)
                Assert.All(statuses, s => Assert.Equal(accepted ? HttpStatusCode.Accepted : HttpStatusCode.ServiceUnavailable, s));
            return statuses.Count(s => s == HttpStatusCode.Accepted);
        }

        public async Task AssertRefusedAsync(bool everything)
        {
            var refusedBefore = _refused.Count;
            // A few rounds, so that the commit loop and the writer meet the fault more than once.
            for (var round = 0; round < 3; round++) await PublishRoundAsync(expectAccepted: everything ? false : null);
            Assert.True(_refused.Count > refusedBefore, "the fault must refuse events for this test to mean anything");
            var create = await _admin.PostAsJsonAsync("/api/v1/webhooks", Json.Form(uri: _receiver.Url + "/new", events: "project_added"));
            var update = await _admin.PutAsJsonAsync($"/api/v1/webhooks/{_webhook}", Json.Form(uri: _receiver.Url, name: "Renamed"));
            // On a full disk reads still answer: the token's last use is noted on a best-effort basis. (A read-only remount
            // stops reads too: SQLite cannot open its WAL index there, "unable to open database file".)
            if (!everything)
            {
                var read = await _reader.GetAsync("/api/v1/webhooks");
                Assert.True(read.StatusCode == HttpStatusCode.OK, $"GET during the fault: {(int)read.StatusCode} {await read.Content.ReadAsStringAsync()}");
            }
            if (everything)
            {
                await AssertServiceUnavailableAsync(create);
                await AssertServiceUnavailableAsync(update);
                await AssertServiceUnavailableAsync(await _admin.DeleteAsync($"/api/v1/webhooks/{_webhook}"));
            }
            else
                foreach (var response in new[] { create, update })
                    if (response.StatusCode != HttpStatusCode.OK) await AssertServiceUnavailableAsync(response);
            var ready = await _app.CreateClient().GetAsync("/health/ready");
            _output.WriteLine($"during the fault: {_refused.Count - refusedBefore} events refused with 503, {_accepted.Count} accepted so far; " +
                $"webhook create {(int)create.StatusCode}, update {(int)update.StatusCode}; /health/ready {(int)ready.StatusCode}");
        }

        public async Task AssertRecoveredAsync()
        {
            var refusedBefore = _refused.Count;
            // No restart: the next requests find the disk usable again (the first ones may still meet a connection from the fault).
            await Eventually.TrueAsync(async () => await PublishRoundAsync(expectAccepted: null) == Parallel, 30, "ingest to answer 202 again");
            for (var round = 0; round < 3; round++) await PublishRoundAsync(expectAccepted: true);
            await AssertStatusAsync(HttpStatusCode.OK, await _admin.PutAsJsonAsync($"/api/v1/webhooks/{_webhook}", Json.Form(uri: _receiver.Url, name: "Renamed")));

            var accepted = _accepted.ToHashSet();
            await Eventually.TrueAsync(() => accepted.IsSubsetOf(Delivered()), 60, "every accepted event to be delivered");
            await Task.Delay(500); // anything stored although it was refused would be delivered by now as well
            var delivered = Delivered();
            _output.WriteLine($"accepted {accepted.Count} events (202), refused {_refused.Count} (503; {_refused.Count - refusedBefore} while recovering), " +
                $"delivered {delivered.Count} distinct in {_receiver.Count} requests");
            Assert.Equal(accepted.Order(), delivered.Order());
            Assert.Empty(delivered.Intersect(_refused));
            await using var c = new SqliteConnection($"Data Source={_database};Pooling=false");
            await c.OpenAsync();
            await using var count = c.CreateCommand();
            count.CommandText = "SELECT COUNT(*) FROM events;";
            Assert.Equal(accepted.Count, Convert.ToInt32(await count.ExecuteScalarAsync()));
        }

        private HashSet<string> Delivered() =>
            _receiver.Requests.Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("entityId").GetString()!).ToHashSet();

        private async Task<HttpStatusCode> PublishAsync(int count)
        {
            var ids = Enumerable.Range(0, count).Select(_ => $"e{Interlocked.Increment(ref _next)}").ToList();
            // A kilobyte of payload per event, so that a full disk is met within a few requests.
            var events = ids.Select(id => TestEvents.Event(entityId: id, entity: new { id, notes = new string('x', 1024) })).ToList();
            var response = count == 1
                ? await _publisher.PostAsJsonAsync("/api/v1/events", events[0])
                : await _publisher.PostAsJsonAsync("/api/v1/events/batch", events);
            if (response.StatusCode == HttpStatusCode.Accepted) foreach (var id in ids) _accepted.Add(id);
            else
            {
                await AssertServiceUnavailableAsync(response);
                foreach (var id in ids) _refused.Add(id);
            }
            return response.StatusCode;
        }

        private static async Task AssertServiceUnavailableAsync(HttpResponseMessage response)
        {
            await AssertStatusAsync(HttpStatusCode.ServiceUnavailable, response);
            var error = await response.ErrorAsync();
            Assert.Equal("service-unavailable", error.Code);
            Assert.NotNull(response.Headers.RetryAfter);
        }

        private static async Task AssertStatusAsync(HttpStatusCode expected, HttpResponseMessage response) =>
            Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");

        public async ValueTask DisposeAsync()
        {
            var connectionString = ConnectionString;
            await _app.DisposeAsync();
            using (var c = new SqliteConnection(connectionString)) SqliteConnection.ClearPool(c);
            await _receiver.DisposeAsync();
        }
    }
}
