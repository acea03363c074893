using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Hookline.Tests.Support;
using Microsoft.AspNetCore.Http;
using Xunit.Abstractions;

namespace Hookline.Tests.Delivery;

/// <summary>Kill -9 in the middle of delivering: whatever was accepted still arrives, at least once.</summary>
public sealed class CrashTests(ITestOutputHelper output) : IDisposable
{
    private const int Events = 2000;
    private readonly TempDatabase _db = new();

    public void Dispose() => _db.Dispose();

    [Fact]
    public async Task EveryAcceptedEventIsDeliveredAfterASigkillMidDelivery()
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.Respond = async (_, http) => { await Task.Delay(15); await http.Response.WriteAsync("ok"); };
        var env = new Dictionary<string, string>
        {
            ["Hookline__Database__ConnectionString"] = _db.Path,
            ["Hookline__Delivery__AllowPrivateNetworks"] = "true",
            ["Hookline__Delivery__Timeout"] = "00:00:02",
            ["Hookline__Delivery__Lease"] = "00:00:03",
            ["Hookline__Delivery__Concurrency"] = "8",
            ["Hookline__Delivery__PollInterval"] = "00:00:00.100",
            ["Hookline__Delivery__RetrySchedule__0"] = "00:00:00.200",
        };
        var workspace = Guid.NewGuid();
        var token = (await HooklineProcess.RunAsync(env, "tokens", "create", "--workspace", workspace.ToString(),
            "--permissions", "admin,events:publish")).LastLine;

        var first = await HooklineServer.StartAsync(env);
        var client = new HttpClient { BaseAddress = new Uri(first.Url) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        await client.CreateWebhookAsync(Json.Form(uri: receiver.Url + "/crash"));
        for (var batch = 0; batch < Events / 100; batch++)
        {
            var events = Enumerable.Range(batch * 100, 100).Select(i => TestEvents.Event(entityId: $"e{i}")).ToArray();
            var response = await client.PostAsJsonAsync("/api/v1/events/batch", events);
            Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        }

        await Eventually.TrueAsync(() => receiver.Count >= 300, 60, "deliveries under way");
        first.Kill();
        var atKill = receiver.Count;
        output.WriteLine($"killed after {atKill} of {Events} deliveries had arrived");
        Assert.True(atKill < Events, "the kill must land mid-delivery for this test to mean anything");

        using var second = await HooklineServer.StartAsync(env);
        await Eventually.TrueAsync(() => EntityIds(receiver).Count == Events, 120, "every event after the restart");

        var ids = receiver.Requests.Select(r => r.Header("webhook-id")).ToList();
        var duplicates = ids.Count - ids.Distinct().Count();
        output.WriteLine($"received {ids.Count} requests for {ids.Distinct().Count()} deliveries: {duplicates} duplicates (leases in flight at the kill)");
        Assert.Equal(Events, ids.Distinct().Count());
        Assert.Equal(Enumerable.Range(0, Events).Select(i => $"e{i}").Order(), EntityIds(receiver).Order());
        Assert.True(duplicates <= 8 + 256, $"duplicates are bounded by what was in flight or unrecorded at the kill, saw {duplicates}");
    }

    private static HashSet<string> EntityIds(Receiver receiver) =>
        receiver.Requests.Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("entityId").GetString()!).ToHashSet();
}
