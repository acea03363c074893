using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Hookline.Auth;
using Hookline.Delivery;
using Hookline.Tests.Support;
using Hookline.Webhooks;
using Microsoft.AspNetCore.Http;

namespace Hookline.Tests.Secrets;

/// <summary>
/// A whole life cycle through the API, against an in-process or a child-process Hookline, that notes every secret
/// it makes or uses (tokens and their hashes, signing secrets and their keys, header values, a Slack URL's path),
/// so that a test can prove none of them reaches the logs.
/// </summary>
public sealed class LifeCycle(Func<string?, HttpClient> client, Receiver custom, Receiver slack)
{
    public Dictionary<string, string> Secrets { get; } = new();

    public void AddToken(string name, string token)
    {
        Secrets[name] = token;
        Secrets[$"{name} (hash)"] = TokenService.Hash(token);
    }

    /// <summary>Each secret found in <paramref name="lines"/>, with the line.</summary>
    public List<string> Leaks(IEnumerable<string> lines) =>
        lines.SelectMany(line => Secrets.Where(s => line.Contains(s.Value, StringComparison.Ordinal)).Select(s => $"{s.Key}: {line}")).ToList();

    public async Task RunAsync(string adminToken, string publisherToken, string otherWorkspaceToken)
    {
        AddToken("admin token", adminToken);
        AddToken("publisher token", publisherToken);
        AddToken("other workspace's token", otherWorkspaceToken);
        var admin = client(adminToken);
        var publisher = client(publisherToken);
        EchoHeaders();

        var apiKey = Secret("X-Api-Key value", "key-");
        var a = await admin.CreateWebhookAsync(Json.Form(uri: custom.Url + "/a", authenticationType: "header", authentication: "X-Api-Key=" + apiKey,
            events: "task_added,task_updated"));
        var bearer = Secret("Authorization value", "bearer-");
        var b = await admin.CreateWebhookAsync(Json.Form(uri: custom.Url + "/b", authenticationType: "header", authentication: "Authorization=Bearer " + bearer));
        var slackPath = $"/services/T0{Secret("Slack team", "T")}/B0{Secret("Slack channel", "B")}/{Secret("Slack key", "s")}";
        Secrets["Slack URL path"] = slackPath;
        // Slack by its host name, the custom receivers by address: both listen on 127.0.0.1.
        var s = await admin.CreateWebhookAsync(Json.Form(uri: slack.Url.Replace("127.0.0.1", "localhost") + slackPath, events: "task_added"));
        Assert.Equal("slack", s.ReceiverType);

        await KeepSecretAsync("first secret of A", await admin.GetAsync($"/api/v1/webhooks/{a.Id}/secret"));
        await KeepSecretAsync("rotated secret of A", await admin.PostAsync($"/api/v1/webhooks/{a.Id}/secret/rotate", null));
        await KeepSecretAsync("secret of B", await admin.GetAsync($"/api/v1/webhooks/{b.Id}/secret"));
        await KeepSecretAsync("secret of the Slack webhook", await admin.GetAsync($"/api/v1/webhooks/{s.Id}/secret"));
        var newKey = Secret("new X-Api-Key value", "new-");
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync($"/api/v1/webhooks/{a.Id}", Json.Form(uri: custom.Url + "/a",
            authenticationType: "header", authentication: "X-Api-Key=" + newKey, events: "task_added,task_updated"))).StatusCode);
        Assert.Equal(3, (await admin.ListAsync<WebhookConfig>("/api/v1/webhooks")).Count);

        for (var i = 0; i < 3; i++) await publisher.PublishAsync(TestEvents.Event());
        Assert.Equal(HttpStatusCode.Accepted, (await publisher.PostAsJsonAsync("/api/v1/events/batch",
            new[] { TestEvents.Event("task_updated"), TestEvents.Event() })).StatusCode);
        await Eventually.TrueAsync(async () => (await admin.ListAsync<WebhookLog>($"/api/v1/webhooks/{a.Id}/logs")).Count(l => l.IsSuccessful) >= 5,
            seconds: 60, what: "A's deliveries, after the 500 and 401 answers");
        await Eventually.TrueAsync(async () => (await admin.ListAsync<WebhookLog>($"/api/v1/webhooks/{b.Id}/logs")).Count(l => l.IsSuccessful) >= 4,
            seconds: 60, what: "B's deliveries");
        await Eventually.TrueAsync(async () => (await admin.ListAsync<WebhookLog>($"/api/v1/webhooks/{s.Id}/logs")).Count(l => l.IsSuccessful) >= 4,
            seconds: 60, what: "the Slack deliveries");
        var logs = await admin.ListAsync<WebhookLog>($"/api/v1/webhooks/{a.Id}/logs");
        // The receiver did echo the header: into the delivery log, which is the receiver's content, not the application log.
        Assert.Contains(logs, l => l.ResponseCode == 500 && l.ResponseBody!.Contains(newKey));
        Assert.Contains(logs, l => l.ResponseCode == 401 && l.Reason!.Contains(newKey));

        foreach (var id in new[] { a.Id, s.Id }) Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/v1/webhooks/{id}/test", null)).StatusCode);
        var failed = logs.First(l => !l.IsSuccessful);
        Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsync($"/api/v1/webhooks/{a.Id}/logs/{failed.Id}/redeliver", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsync($"/api/v1/webhooks/{a.Id}/recover?since=2000-01-01T00:00:00Z", null)).StatusCode);

        await BadRequestsAsync(adminToken, a.Id);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/v1/webhooks/{b.Id}")).StatusCode);
        await Eventually.TrueAsync(async () => (await admin.ListAsync<WebhookLog>($"/api/v1/webhooks/{a.Id}/logs")).Count(l => l.IsSuccessful) >= 6,
            seconds: 60, what: "the redelivery and recovery");
    }

    /// <summary>
    /// Each message's first attempt fails, in turn with 500 and every header in a long body or with 401 and the auth
    /// header in a one-line body (which becomes the failure reason); the retry succeeds, echoing the headers again.
    /// </summary>
    private void EchoHeaders()
    {
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<string, bool>();
        var turns = new System.Collections.Concurrent.ConcurrentDictionary<string, int>(); // per webhook, so each gets both answers
        custom.Respond = (r, http) =>
        {
            var all = string.Join("\n", r.Headers.Select(h => $"{h.Key}: {h.Value}"));
            var first = seen.TryAdd(r.Header("webhook-id"), true);
            (http.Response.StatusCode, var body) = !first ? (200, all) : turns.AddOrUpdate(r.Path, 1, (_, n) => n + 1) % 2 == 0
                ? (500, "Internal error while handling\n" + all)
                : (401, $"bad credentials: x-api-key={r.Header("x-api-key")} authorization={r.Header("authorization")}");
            return http.Response.WriteAsync(body);
        };
        slack.Respond = (r, http) =>
        {
            var first = seen.TryAdd(r.Body, true); // Slack gets no webhook-id; each message's text differs
            http.Response.StatusCode = first ? 500 : 200;
            return http.Response.WriteAsync(first ? $"no_service: {r.Path}" : "ok");
        };
    }

    private async Task BadRequestsAsync(string adminToken, Guid hook)
    {
        var url = $"/api/v1/webhooks/{hook}";
        var nearMiss = adminToken[..^1] + (adminToken[^1] == 'A' ? 'B' : 'A');
        var unknown = Secret("unknown token", "hl_");
        Secrets["near-miss token"] = nearMiss;
        foreach (var header in new[] { $"Bearer {nearMiss}", $"Bearer {unknown}", $"Basic {adminToken}", $"Token {adminToken}",
                     $"Bearer {adminToken}x", $"Bearer {adminToken[3..]}", $"Bearer  {new string('A', 300)}{adminToken}" })
        {
            using var bad = client(null);
            bad.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", header);
            Assert.Equal(HttpStatusCode.Unauthorized, (await bad.GetAsync(url)).StatusCode);
        }
        var other = client(Secrets["other workspace's token"]);
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"{url}/secret")).StatusCode);
        var publisher = client(Secrets["publisher token"]);
        Assert.Equal(HttpStatusCode.Unauthorized, (await publisher.GetAsync($"{url}/secret")).StatusCode); // awork: 401 naming the permission

        var admin = client(adminToken);
        var invalid = Secret("value in a refused form", "refused-");
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsJsonAsync("/api/v1/webhooks", Json.Form(uri: "not a uri",
            authenticationType: "header", authentication: "X-Api-Key=" + invalid))).StatusCode);
        var broken = Secret("value in broken JSON", "broken-");
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PutAsync(url, new StringContent(
            $$"""{"name":"x","authenticationType":"header","authentication":"X-Api-Key={{broken}}" """, Encoding.UTF8, "application/json"))).StatusCode);
        var badHeader = Secret("value with a bad header name", "badname-");
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PutAsJsonAsync(url, Json.Form(uri: custom.Url + "/a", authenticationType: "header",
            authentication: "X Api Key=" + badHeader))).StatusCode);
    }

    private string Secret(string name, string prefix) => Secrets[name] = StoredValues.RandomValue(prefix);

    private async Task KeepSecretAsync(string name, HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var key = (await response.Content.ReadFromJsonAsync<WebhookSecret>(Json.Web))!.Key;
        foreach (var (k, v) in StoredValues.SecretForms(name, key)) Secrets[k] = v;
    }

    public static HttpClient WithToken(HttpClient http, string? token)
    {
        if (token is not null) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }
}
