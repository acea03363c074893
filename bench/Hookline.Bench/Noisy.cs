using System.Net.Http.Json;
using System.Text;

namespace Hookline.Bench;

/// <summary>A healthy webhook's latency: alone, and next to a neighbour with a backlog whose receiver is in trouble.</summary>
/// <param name="Alone">The two windows alone, before and after the neighbours', pooled.</param>
/// <param name="AloneSpread">The second window alone's p99 ÷ the first's: how far two windows of the same load differ in one run.</param>
public sealed record NoisyResult((double P50, double P99) Alone, (double P50, double P99) Hanging, (double P50, double P99) Failing,
    double AloneSpread)
{
    public double HangingRatio => Hanging.P99 / Alone.P99;
    public double FailingRatio => Failing.P99 / Alone.P99;
}

public sealed partial class Workloads
{
    private const int NoisyRate = 500, NoisyBacklog = 20_000;

    /// <summary>
    /// The neighbour's failures would pause it after 10 in a row (the default); at the most allowed, 1,000, it stays in the
    /// queue the longest.
    /// </summary>
    private static readonly Dictionary<string, string> NoisyNode = new() { ["Hookline__Delivery__PauseAfterConsecutiveFailures"] = "1000" };

    /// <summary>
    /// A healthy webhook's p50/p99 at 500 events/s, alone; then, each on a fresh node, next to a webhook given 20,000 deliveries
    /// just before, whose receiver hangs until the timeout (its policy's: 5 s, so that it times out again and again in the
    /// window), or answers 500 at once; then alone again. The window starts as soon as the neighbour's backlog is queued and
    /// written out, so that it holds what the node does about it from the start.
    /// </summary>
    /// <remarks>
    /// Alone is measured before and after the neighbours and pooled, so that it stands where they stand on average in the run.
    /// Measured once, first, it could favour either side: in three runs of three windows alone, the second's and the third's
    /// p99 were 0.63–1.10 of the first's (0.87 on average), so the ratios understated what a neighbour costs; a window alone
    /// can also hold a stall of its own (120 deliveries up to 171 ms late in one). The ratio of the two windows alone is each
    /// run's own noise, printed beside the figures.
    /// </remarks>
    public async Task<NoisyResult> NoisyAsync()
    {
        var before = await NoisyRunAsync(null);
        var hanging = await NoisyRunAsync("/hang");
        var failing = await NoisyRunAsync("/fail");
        var after = await NoisyRunAsync(null);
        return new NoisyResult(Summary([.. before, .. after]), Summary(hanging), Summary(failing),
            Percentile(after, 0.99) / Percentile(before, 0.99));
    }

    private static (double P50, double P99) Summary(double[] ms)
    {
        Array.Sort(ms);
        return (Percentile(ms, 0.50), Percentile(ms, 0.99));
    }

    /// <summary>One window on a fresh node: the healthy webhook's latencies, ms, in order.</summary>
    private async Task<double[]> NoisyRunAsync(string? neighbour)
    {
        await using var node = await HooklineNode.StartAsync(NewPlace(), NoisyNode);
        await node.CreateWebhooksAsync(receiver.Url + "/noisy", 1);
        await WarmUpAsync(node, () => PacedAsync(node, NoisyRate, 5 * NoisyRate));
        var troubled = receiver.Troubled;
        if (neighbour is not null)
        {
            await node.CreateWebhooksAsync(receiver.Url + neighbour, 1, events: "task_deleted");
            var id = (await node.Client.GetFromJsonAsync<List<WebhookId>>("/api/v1/webhooks?pageSize=10"))!.Single(w => w.Uri.EndsWith(neighbour)).Id;
            using var policy = await node.Client.PutAsync($"/api/v1/webhooks/{id}/policy",
                new StringContent("""{"timeoutSeconds":5}""", Encoding.UTF8, "application/json"));
            policy.EnsureSuccessStatusCode();
            var batches = Enumerable.Range(0, NoisyBacklog / BatchSize).Select(b => Payloads.Batch(b * BatchSize, BatchSize, "task_deleted")).ToList();
            await PublishAsync([node.Client], batches, publishers: 2);
            // As before every timed window, what queuing the backlog left dirty is written out first. Left to the kernel, the
            // 20,000 events' pages were written back 30 s later (vm.dirty_expire_centisecs), 28 s into the window, and
            // PostgreSQL's commit flushes waited behind them: 35-50 of the healthy webhook's deliveries, and the 202s of that
            // second, up to 85-118 ms late, in nearly every run beside either neighbour (none on SQLite, none with commits not
            // flushed). What the node does about the neighbour meanwhile is outside the window; its length is printed.
            var quiesce = System.Diagnostics.Stopwatch.StartNew();
            store.Quiesce();
            Console.Write($"[backlog written out in {quiesce.Elapsed.TotalSeconds:0.00} s] ");
        }
        // The bench's own garbage (the neighbour's 20,000 events, the warm-up's latencies) is collected before the window, not
        // in it: the receiver and the publisher are this process; its gen2s in the window are printed.
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        var gen2 = GC.CollectionCount(2);
        const string GcPause = "dotnet_gc_pause_time_seconds_total";
        var gc = (Node: (await node.MetricsAsync()).GetValueOrDefault(GcPause), Bench: GC.GetTotalPauseDuration());
        var cpu = (Node: node.CpuSeconds(), Postgres: CostMeter.PostgresCpuMs(), Bench: Environment.CpuUsage.TotalTime.TotalSeconds);
        var started = DateTime.UtcNow;
        var accepted = await PacedAsync(node, NoisyRate, NoisyRate * sizes.NoisySeconds);
        Console.Write($"[window from {started:HH:mm:ss.fff} UTC] ");
        Console.Write($"[CPU in the window: node {node.CpuSeconds() - cpu.Node:0.0} s, bench {Environment.CpuUsage.TotalTime.TotalSeconds - cpu.Bench:0.0} s" +
            (cpu.Postgres is { } pg ? $", postgres {(CostMeter.PostgresCpuMs() - pg) / 1000:0.0} s] " : "] "));
        Console.Write($"[GC pauses in the window: node {((await node.MetricsAsync()).GetValueOrDefault(GcPause) - gc.Node) * 1000:0} ms, " +
            $"bench (the receiver's process) {(GC.GetTotalPauseDuration() - gc.Bench).TotalMilliseconds:0} ms, {GC.CollectionCount(2) - gen2} of its gen2] ");
        var ms = receiver.LatenciesMs();
        PrintSlowSeconds("deliveries", receiver.LatenciesInOrderMs());
        // The same for the 202s, in the order sent: a late moment in both is ingest's (the node's API, its commits); in the
        // deliveries only, the claims', the sends' or the results'.
        PrintSlowSeconds("202s", accepted);
        if (neighbour is not null)
            Console.Write($"[{neighbour[1..]}: {receiver.Troubled - troubled:N0} requests to the neighbour in the window, {receiver.Hanging} open at its end] ");
        return ms;
    }

    /// <summary>For each second of the window with times (in the order sent) over 4 × their median + 10 ms: how many, how slow.</summary>
    private static void PrintSlowSeconds(string what, double[] inOrder)
    {
        var median = inOrder.Order().ElementAt(inOrder.Length / 2);
        var slow = inOrder.Select((v, i) => (Second: i / NoisyRate, v)).Where(x => x.v > 4 * median + 10)
            .GroupBy(x => x.Second).Select(g => $"{g.Key}s: {g.Count()} up to {g.Max(x => x.v):0} ms").ToList();
        if (slow.Count > 0) Console.Write($"[slow {what} by second of the window: {string.Join(", ", slow)}] ");
    }

    private sealed record WebhookId(Guid Id, string Uri);
}
