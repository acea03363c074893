using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Hookline.Auth;
using Hookline.Tests.Support;
using Microsoft.AspNetCore.Http;

namespace Hookline.Tests.Api;

/// <summary>
/// /metrics in Prometheus' text format, for system tokens holding <c>metrics:read</c>. The counting test runs Hookline as
/// its own process: meters are process-wide, so in-process test hosts running beside it would add to its counts.
/// </summary>
public sealed class MetricsTests : IDisposable
{
    private readonly HooklineFactory _app = new();

    public void Dispose() => _app.Dispose();

    private async Task<HttpResponseMessage> ScrapeAsync(string? token)
    {
        var client = _app.ClientWithToken(token);
        return await client.GetAsync("/metrics");
    }

    [Fact]
    public async Task OnlyASystemTokenWithMetricsReadMayScrape()
    {
        var tokens = _app.Service<TokenService>();
        var reader = (await tokens.CreateAsync(null, [Permissions.MetricsRead], "prometheus")).Secret;
        var publisher = (await tokens.CreateAsync(null, [Permissions.EventsPublish], "producer")).Secret;
        var admin = (await tokens.CreateAsync(Guid.NewGuid(), [Permissions.Admin], "admin")).Secret;

        foreach (var (token, says) in new[]
        {
            ((string?)null, "token"), ("hl_unknown", "token"), (publisher, "'metrics:read'"), (admin, "system token"),
        })
        {
            var refused = await ScrapeAsync(token);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            var error = await refused.ErrorAsync();
            Assert.Equal("unauthorized", error.Code);
            Assert.Contains(says, error.Description);
        }

        var scraped = await ScrapeAsync(reader);
        Assert.Equal(HttpStatusCode.OK, scraped.StatusCode);
        Assert.StartsWith("text/plain", scraped.Content.Headers.ContentType?.MediaType);
        var text = await scraped.Content.ReadAsStringAsync();
        Assert.Contains("dotnet_jit_compiled_methods", text); // the runtime's own instruments
        Assert.Contains("http_server_request_duration_seconds", text); // ASP.NET Core's
    }

    [Fact]
    public async Task AWorkspaceTokenCannotBeGivenMetricsRead()
    {
        var before = (await _app.Service<Hookline.Storage.ITokenStore>().ListAsync()).Count;
        var e = await Assert.ThrowsAsync<ArgumentException>(() =>
            _app.Service<TokenService>().CreateAsync(Guid.NewGuid(), [Permissions.MetricsRead], "sneaky"));
        Assert.Contains("system tokens", e.Message);
        Assert.Equal(before, (await _app.Service<Hookline.Storage.ITokenStore>().ListAsync()).Count);
    }

    [Fact]
    public async Task TheCountsFollowEventsAndAttemptsAndNameNoWorkspaceWebhookOrReceiver()
    {
        if (Environment.GetEnvironmentVariable(HooklineFactory.StoreVariable) == "postgres") return; // the store plays no part
        await using var receiver = await Receiver.StartAsync();
        using var file = new TempDatabase();
        var env = TestEvents.FastDelivery().ToDictionary(s => s.Key.Replace(":", "__"), s => s.Value!);
        env["Hookline__Database__ConnectionString"] = file.Path;
        env["Hookline__DataProtection__KeysPath"] = Path.Combine(file.Folder, "keys");
        env["Hookline__Delivery__PauseAfterConsecutiveFailures"] = "100";
        var workspace = Guid.NewGuid();
        var admin = (await HooklineProcess.RunAsync(env, "tokens", "create", "--workspace", workspace.ToString(),
            "--permissions", "admin,events:publish", "--name", "admin")).LastLine;
        var prometheus = (await HooklineProcess.RunAsync(env, "tokens", "create", "--permissions", "metrics:read", "--name", "prom")).LastLine;
        using var server = await HooklineServer.StartAsync(env);
        HttpClient Client(string token) => new()
        {
            BaseAddress = new Uri(server.Url), DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", token) },
        };
        using var api = Client(admin);
        using var scraper = Client(prometheus);

        var ok = await api.PostAsJsonAsync("/api/v1/webhooks", new { name = "m", uri = receiver.Url + "/ok", events = "task_added", isActive = true, authenticationType = "none" });
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var webhookId = (await ok.Content.ReadFromJsonAsync<Dictionary<string, object>>())!["id"].ToString()!;
        var failing = await api.PostAsJsonAsync("/api/v1/webhooks", new { name = "f", uri = receiver.Url + "/fail", events = "task_added", isActive = true, authenticationType = "none" });
        Assert.Equal(HttpStatusCode.OK, failing.StatusCode);
        receiver.Respond = (_, http) =>
        {
            if (http.Request.Path == "/fail") http.Response.StatusCode = 500;
            return http.Response.WriteAsync("done");
        };
        Assert.Equal(HttpStatusCode.Accepted, (await api.PostAsJsonAsync("/api/v1/events/batch", new[] { TestEvents.Event(), TestEvents.Event() })).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await api.PostAsJsonAsync("/api/v1/events", TestEvents.Event())).StatusCode);

        // 3 events, each to both webhooks: 3 successes, and failures until the retries (3 at 100 ms) run out
        string text = "";
        await Eventually.TrueAsync(async () =>
        {
            text = await scraper.GetStringAsync("/metrics");
            return Samples(text, "hookline_delivery_attempts_total", "outcome=\"failure\"").FirstOrDefault() == 12;
        }, 30, "12 failed attempts (3 events × 4 attempts) in /metrics");
        Assert.Equal(3, Value(text, "hookline_events_accepted_total"));
        Assert.Equal(3, Value(text, "hookline_delivery_attempts_total", "outcome=\"success\"", "receiver_type=\"custom\""));
        Assert.Equal(15, Value(text, "hookline_delivery_duration_seconds_count"));
        // SQLite's own count of the work: 3 events, 6 deliveries and 15 log rows written at the very least
        Assert.InRange(Value(text, "hookline_sqlite_rows_written_total"), 3 + 6 + 15, 1_000_000);
        Assert.InRange(Value(text, "hookline_sqlite_statements_total"), Value(text, "hookline_sqlite_commits_total") + 1, 1_000_000);
        foreach (var secret in new[] { workspace.ToString(), webhookId, receiver.Url, $"\"{new Uri(receiver.Url).Port}\"" })
            Assert.DoesNotContain(secret, text);
    }

    /// <summary>The one sample of <paramref name="metric"/> whose labels include every one of <paramref name="labels"/>.</summary>
    private static double Value(string text, string metric, params string[] labels)
    {
        var samples = Samples(text, metric, labels);
        Assert.True(samples.Count == 1, $"expected one sample of {metric} {string.Join(",", labels)}, found {samples.Count}:\n{text}");
        return samples[0];
    }

    private static List<double> Samples(string text, string metric, params string[] labels) => text.Split('\n')
        .Where(l => Regex.IsMatch(l, $@"^{metric}(\{{|\s)") && labels.All(l.Contains))
        .Select(l => (l.Contains('{') ? l[(l.IndexOf('}') + 1)..] : l[metric.Length..]).Trim().Split(' ')[0])
        .Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToList();
}
