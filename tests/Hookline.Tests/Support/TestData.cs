using Hookline.Storage;

namespace Hookline.Tests.Support;

public static class TestData
{
    public static DeliveryLog Log(Guid workspace, Guid webhook, DateTimeOffset at, int attempt = 1, int responseCode = 200,
        string eventType = "task_added", string? reason = null) => new(
        Guid.NewGuid(), workspace, webhook, Guid.NewGuid(), eventType, attempt, """{"eventType":"task_added"}""", responseCode,
        reason, responseCode is >= 200 and < 300, 12, "ok", DateTimeOffset.FromUnixTimeMilliseconds(at.ToUnixTimeMilliseconds()));
}
