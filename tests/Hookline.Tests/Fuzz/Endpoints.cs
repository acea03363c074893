using FsCheck;
using FsCheck.Fluent;

namespace Hookline.Tests.Fuzz;

/// <summary>
/// Every route Hookline maps (WebhooksApi, DeliveryApi, EventsApi, Operations excluded as they take no input), with a
/// valid body where one is needed: what a request would look like if only the fuzzed part were wrong.
/// </summary>
public static class Endpoints
{
    public sealed record Route(string Method, string Template, string? Body = null, string Query = "")
    {
        public bool HasWebhookId => Template.Contains("{id}");
        public bool HasLogId => Template.Contains("{log}");
        public string Path(string webhook, string log) => Template.Replace("{id}", webhook).Replace("{log}", log);
        public string Path(Guid webhook, Guid log) => Path(webhook.ToString(), log.ToString());
        public override string ToString() => $"{Method} {Template}";
    }

    public static readonly string ValidForm = BodyGen.ValidForm(header: false).Text;
    public static readonly string ValidEvent = BodyGen.ValidEvent.Text;

    public static readonly Route[] All =
    [
        new("GET", "/api/v1/webhooks"),
        new("POST", "/api/v1/webhooks", ValidForm),
        new("GET", "/api/v1/webhooks/eventtypes"),
        new("GET", "/api/v1/webhooks/eventtypes/slack"),
        new("GET", "/api/v1/webhooks/eventtypes/teams"),
        new("GET", "/api/v1/webhooks/eventtypes/discord"),
        new("GET", "/api/v1/webhooks/{id}"),
        new("PUT", "/api/v1/webhooks/{id}", ValidForm),
        new("DELETE", "/api/v1/webhooks/{id}"),
        new("GET", "/api/v1/webhooks/{id}/logs"),
        new("GET", "/api/v1/webhooks/{id}/policy"),
        new("PUT", "/api/v1/webhooks/{id}/policy", """{"maxPerSecond":10,"timeoutSeconds":5,"retrySchedule":[1,2],"ordering":"fifo"}"""),
        new("GET", "/api/v1/webhooks/{id}/secret"),
        new("POST", "/api/v1/webhooks/{id}/secret/rotate"),
        new("POST", "/api/v1/webhooks/{id}/secret/rotate", Query: "algorithm=ed25519"),
        new("POST", "/api/v1/webhooks/{id}/test"),
        new("POST", "/api/v1/webhooks/{id}/logs/{log}/redeliver"),
        new("POST", "/api/v1/webhooks/{id}/recover", Query: "since=2000-01-01T00:00:00Z"),
        new("POST", "/api/v1/events", ValidEvent),
        new("POST", "/api/v1/events/batch", $"[{ValidEvent}]"),
    ];

    public static readonly Route[] WithWebhookId = All.Where(r => r.HasWebhookId).ToArray();

    private static Gen<Guid> RandomGuid { get; } = Gen.Choose(int.MinValue, int.MaxValue).Four()
        .Select(t => new Guid([.. BitConverter.GetBytes(t.Item1), .. BitConverter.GetBytes(t.Item2), .. BitConverter.GetBytes(t.Item3), .. BitConverter.GetBytes(t.Item4)]));

    /// <summary>Path segments where a webhook or log id goes: no uuid, almost one, an encoded one, a huge one.</summary>
    public static Gen<string> BadIdSegment { get; } = Gen.Frequency(
        (4, TextGen.Nasty.Where(s => !Guid.TryParse(s, out _))),
        (2, Gen.Elements("3fa85f64-5717-4562-b3fc-2c963f66afa", "3fa85f64-5717-4562-b3fc-2c963f66afa6x", "3fa85f64%2D5717-4562-b3fc-2c963f66afa6",
            "3fa85f64-5717-4562-b3fc-2c963f66afa6/", "3fa85f64-5717-4562-b3fc-2c963f66afa6%00", "..", ".", "%2e%2e", "%2F", "%25", "%",
            "{3fa85f64-5717-4562-b3fc-2c963f66afa6", "g" + new string('0', 31), new string('0', 33), new string('a', 100_000), "-1", "0",
            "eventtypes/slack/x", "logs", "secret")),
        (2, Gen.Zip(RandomGuid, Gen.Elements("D", "N", "B", "P", "X")).Select(t => t.Item1.ToString(t.Item2))));


    /// <summary>One route with everything valid except the webhook (or log) id, which is bad, unknown or another workspace's.</summary>
    public static Gen<(Route Route, string Id, string Log)> WithBadIds(Guid otherWorkspacesWebhook, Guid realWebhook, Guid realLog) =>
        from route in Gen.Elements(WithWebhookId)
        from choice in Gen.Choose(0, 3)
        from bad in BadIdSegment
        select choice switch
        {
            0 => (route, bad, realLog.ToString()),
            1 => (route, otherWorkspacesWebhook.ToString(), realLog.ToString()),
            2 => (route, otherWorkspacesWebhook.ToString("N"), bad),
            // the real webhook only where the log id is the bad part: anything else would be a valid request
            _ => route.HasLogId ? (route, realWebhook.ToString(), bad) : (route, bad, realLog.ToString()),
        };
}
