using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Hookline.Tests.Support;

public static class TestEvents
{
    public static object Event(string eventType = "task_added", string? entityId = null, bool isMain = true, Guid? workspaceId = null,
        object? entity = null) => new
    {
        workspaceId, eventType, entityId = entityId ?? Guid.NewGuid().ToString(), entityType = eventType.Split('_')[0],
        entity = entity ?? new { name = "Write the release notes", id = entityId },
        entityLink = "https://app.example/tasks/1", triggeredBy = new { id = Guid.NewGuid(), firstName = "Carla", lastName = "Creative" },
        changes = new[] { new { property = "name", old = "a", @new = "b" } }, isMainEntityChange = isMain,
    };

    public static async Task<(Guid Id, int Deliveries)> PublishAsync(this HttpClient client, object @event)
    {
        var response = await client.PostAsJsonAsync("/api/v1/events", @event);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (body.GetProperty("id").GetGuid(), body.GetProperty("deliveries").GetInt32());
    }

    /// <summary>Settings for fast, deterministic delivery tests against receivers on 127.0.0.1.</summary>
    public static Dictionary<string, string?> FastDelivery(params (string Key, string? Value)[] extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Hookline:Delivery:AllowPrivateNetworks"] = "true",
            ["Hookline:Delivery:RetrySchedule:0"] = "00:00:00.100",
            ["Hookline:Delivery:RetrySchedule:1"] = "00:00:00.100",
            ["Hookline:Delivery:RetrySchedule:2"] = "00:00:00.100",
            ["Hookline:Delivery:PollInterval"] = "00:00:00.050",
            ["Hookline:Delivery:Timeout"] = "00:00:02",
            ["Hookline:Delivery:Lease"] = "00:00:10",
        };
        foreach (var (k, v) in extra) settings[k] = v;
        return settings;
    }
}
