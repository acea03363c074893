using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Hookline.Tests.Support;
using Xunit.Abstractions;

namespace Hookline.Tests.Security;

/// <summary>
/// One workspace floods far past its limit with concurrent requests while another works at a normal pace, on the real
/// clock: the flood gets awork's 429s, the other gets no 429 and keeps a reasonable latency. (Auth/RateLimitTests
/// covers the window arithmetic and headers on a fake clock, one request at a time.)
/// </summary>
[Collection(nameof(AloneOnTheMachine))]
public sealed class RateLimitFloodTests(ITestOutputHelper output) : IDisposable
{
    private const int PerSecond = 20;
    private const int QuietRequests = 30;
    private static readonly TimeSpan QuietPace = TimeSpan.FromMilliseconds(100); // 10 a second: half of the limit
    private const int FloodWorkers = 8;
    private const int MaxFloodRequestsPerWorker = 3000; // bounded whatever happens
    private readonly HooklineFactory _app = new(new() { ["Hookline:RateLimits:PerSecond"] = $"{PerSecond}", ["Hookline:RateLimits:PerMinute"] = "1000000" });

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task A_flood_from_one_workspace_gets_429s_and_does_not_slow_or_limit_another()
    {
        var noisy = await _app.AdminAsync(Guid.NewGuid());
        var quiet = await _app.AdminAsync(Guid.NewGuid());
        await quiet.CreateWebhookAsync(); // something to list
        for (var i = 0; i < 5; i++) await quiet.GetAsync("/api/v1/webhooks"); // warm up
        await Task.Delay(1000); // a fresh one-second window

        var alone = await QuietRunAsync(quiet);

        using var stop = new CancellationTokenSource();
        var flood = Enumerable.Range(0, FloodWorkers).Select(_ => Task.Run(() => FloodAsync(noisy, stop.Token))).ToList();
        await Task.Delay(300); // the flood is under way
        var during = await QuietRunAsync(quiet);
        await stop.CancelAsync();
        var results = (await Task.WhenAll(flood)).SelectMany(r => r).ToList();

        var ok = results.Count(r => r.Status == HttpStatusCode.OK);
        var limited = results.Where(r => r.Status == HttpStatusCode.TooManyRequests).ToList();
        var (aloneMedian, duringMedian) = (Median(alone.Latencies), Median(during.Latencies));
        output.WriteLine($"store: {(_app.Postgres is null ? "sqlite" : "postgres")}; flood: {results.Count} requests by {FloodWorkers} workers, "
            + $"{ok} answered 200, {limited.Count} answered 429; quiet workspace: {QuietRequests} requests alone, median {aloneMedian:0.0} ms "
            + $"(max {alone.Latencies.Max():0.0}), {QuietRequests} during the flood, median {duringMedian:0.0} ms (max {during.Latencies.Max():0.0})");

        Assert.Equal(results.Count, ok + limited.Count); // nothing else, no 500
        Assert.True(limited.Count > ok, $"{limited.Count} refused, {ok} allowed: not much of a flood");
        // The server counts each request somewhere between its send and its answer: the windows that span could touch.
        var windows = (int)Math.Ceiling(results.Max(r => r.At) - results.Min(r => r.Sent)) + 1;
        Assert.True(ok <= PerSecond * windows, $"{ok} allowed in at most {windows} one-second windows");
        Assert.All(limited, r => Assert.Null(r.Problem));

        Assert.All(alone.Statuses.Concat(during.Statuses), s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.True(duringMedian <= 5 * aloneMedian + 20, $"median {duringMedian:0.0} ms during the flood against {aloneMedian:0.0} ms alone");
    }

    private sealed record Flooded(HttpStatusCode Status, double Sent, double At, string? Problem);

    private static async Task<List<Flooded>> FloodAsync(HttpClient client, CancellationToken stop)
    {
        var results = new List<Flooded>();
        for (var i = 0; i < MaxFloodRequestsPerWorker && !stop.IsCancellationRequested; i++)
        {
            var sent = Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;
            using var response = await client.GetAsync("/api/v1/webhooks", CancellationToken.None);
            var at = Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;
            results.Add(new(response.StatusCode, sent, at,
                response.StatusCode == HttpStatusCode.TooManyRequests ? await CheckRefusalAsync(response) : null));
        }
        return results;
    }

    /// <summary>Null when the 429 is awork's: its error body, Retry-After and the Kong headers; otherwise what is wrong.</summary>
    private static async Task<string?> CheckRefusalAsync(HttpResponseMessage response)
    {
        string? H(string name) => response.Headers.TryGetValues(name, out var v) ? v.Single() : null;
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        if (body.RootElement.GetProperty("code").GetString() != "too-many-requests") return "code";
        if (!int.TryParse(H("Retry-After"), out var retry) || retry is < 1 or > 60) return $"Retry-After {H("Retry-After")}";
        if (H("X-RateLimit-Limit-Second") != $"{PerSecond}" || H("X-RateLimit-Remaining-Second") != "0") return "X-RateLimit-*-Second";
        if (H("X-RateLimit-Limit-Minute") is null || H("X-RateLimit-Remaining-Minute") is null) return "X-RateLimit-*-Minute";
        if (H("RateLimit-Limit") != $"{PerSecond}" || H("RateLimit-Remaining") != "0" || H("RateLimit-Reset") != H("Retry-After")) return "RateLimit-*";
        return null;
    }

    private static async Task<(List<double> Latencies, List<HttpStatusCode> Statuses)> QuietRunAsync(HttpClient client)
    {
        var (latencies, statuses) = (new List<double>(), new List<HttpStatusCode>());
        var pace = Stopwatch.StartNew();
        for (var i = 0; i < QuietRequests; i++)
        {
            var wait = QuietPace * i - pace.Elapsed;
            if (wait > TimeSpan.Zero) await Task.Delay(wait);
            var clock = Stopwatch.StartNew();
            using var response = await client.GetAsync("/api/v1/webhooks");
            await response.Content.ReadAsStringAsync();
            latencies.Add(clock.Elapsed.TotalMilliseconds);
            statuses.Add(response.StatusCode);
        }
        return (latencies, statuses);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
