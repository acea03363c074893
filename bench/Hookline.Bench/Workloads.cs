using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using static Hookline.Bench.Baseline;

namespace Hookline.Bench;

public sealed record Sizes(int Ceiling, int Baseline, int Throughput, int BatchIngest, int SingleIngest, int LatencySeconds,
    int FanoutWebhooks, int FanoutEvents, int Backlog, int Scaleout, int MaxWarmUpRounds, int StartupSeconds, int NoisySeconds)
{
    public static readonly Sizes Full = new(100_000, 3_000, 100_000, 100_000, 20_000, 20, 1_000, 100, 1_000_000, 100_000, 40, 60, 30);
    public static readonly Sizes Quick = new(20_000, 500, 20_000, 20_000, 3_000, 5, 1_000, 10, 40_000, 10_000, 1, 20, 10);
}

/// <summary>Seconds from starting the process to ready; deliveries/s in its first 10 s and settled; seconds until 90 % of settled.</summary>
public sealed record StartupResult(double ReadySeconds, double First10PerSec, double SettledPerSec, double SecondsTo90)
{
    public double Ratio => First10PerSec / SettledPerSec;
    public override string ToString() =>
        $"ready after {ReadySeconds:0.0} s; first 10 s {First10PerSec:N0}/s, settled {SettledPerSec:N0}/s = {Ratio:0.00}; 90 % of settled {SecondsTo90:0.0} s after the start";
}

/// <summary>Each workload on a fresh Hookline and database, all traffic on loopback.</summary>
public sealed partial class Workloads(BenchReceiver receiver, Sizes sizes, Store store)
{
    private const int BatchSize = 1000;
    private static readonly Dictionary<string, string> Worker = new();
    private static readonly Dictionary<string, string> NoWorker = new() { ["Hookline__Node__Worker"] = "false" };
    private static readonly TimeSpan Stall = TimeSpan.FromMinutes(2); // longer than a delivery's lease, so one dropped by a node is sent again

    private readonly List<Store.Place> _places = [];

    private Store.Place NewPlace()
    {
        // The workloads before are over: their data goes, so that PostgreSQL's autovacuum of it (100,000 rows a table after
        // throughput) does not run in this one's window, and what they left dirty is written out before this one starts.
        Clean();
        store.Quiesce();
        var place = store.New();
        _places.Add(place);
        return place;
    }

    /// <summary>Drops what the workloads created: PostgreSQL databases, SQLite files.</summary>
    public void Clean()
    {
        foreach (var place in _places) store.Drop(place);
        _places.Clear();
    }

    /// <summary>The machine's limit: plain HttpClient POSTs of the same 1 KiB body to the same receiver, 64 at a time.</summary>
    public async Task<double> CeilingAsync()
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 });
        receiver.Reset(sizes.Ceiling);
        var next = -1;
        var start = Payloads.Now();
        await Task.WhenAll(Enumerable.Range(0, 64).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) < sizes.Ceiling)
                (await http.PostAsync(receiver.Url + "/ceiling", new StringContent(Payloads.Delivery, Encoding.UTF8, "application/json"))).Dispose();
        }));
        await receiver.WaitForAsync(sizes.Ceiling, TimeSpan.FromMinutes(5));
        return sizes.Ceiling / Seconds(start, receiver.LastReceivedTicks);
    }

    public Task<double> BaselineAsync() => Baseline.RunAsync(receiver, sizes.Baseline, NewPlace(), store.Postgres is not null);

    /// <summary>Batches published as fast as they are accepted, fan-out 1; on PostgreSQL also what the database did for them.</summary>
    public async Task<(double PerSec, PostgresCost? Cost)> ThroughputAsync()
    {
        var place = NewPlace();
        await using var node = await HooklineNode.StartAsync(place, Worker);
        await node.CreateWebhooksAsync(receiver.Url + "/throughput", 1);
        await WarmUpAsync(node, delivers: true);
        var meter = await CostMeter.StartAsync(place);
        var perSec = await DeliverAsync([node], sizes.Throughput, countIds: false);
        if (receiver.Count < sizes.Throughput) throw new TimeoutException($"Only {receiver.Count} of {sizes.Throughput} deliveries arrived.");
        return (perSec, meter is null ? null : await meter.StopAsync(sizes.Throughput, sizes.Throughput));
    }

    /// <summary>
    /// A new Hookline under load from its first second, with no warm-up: batches published by two publishers for
    /// <see cref="Sizes.StartupSeconds"/>, at most 20,000 events ahead of the deliveries. Deliveries per second in the first
    /// 10 s after the process is ready, against the last 10 s (settled), and the time from starting the process until a
    /// 3-second window first reaches 90 % of the settled rate.
    /// </summary>
    public async Task<StartupResult> StartupAsync()
    {
        var place = NewPlace();
        var sinceStart = Stopwatch.StartNew();
        await using var node = await HooklineNode.StartAsync(place, Worker);
        var ready = sinceStart.Elapsed.TotalSeconds;
        await node.CreateWebhooksAsync(receiver.Url + "/startup", 1);
        receiver.Reset(1);
        var counts = new List<(double At, int Count)> { (ready, 0) }; // nothing is delivered before the webhook exists
        var end = TimeSpan.FromSeconds(ready + sizes.StartupSeconds);
        var published = 0;
        var publishing = Task.WhenAll(Enumerable.Range(0, 2).Select(async p =>
        {
            for (var b = p; sinceStart.Elapsed < end; b += 2)
            {
                if (Volatile.Read(ref published) - receiver.Count > 20_000) { await Task.Delay(5); continue; }
                var content = new ByteArrayContent(Payloads.Batch(b * BatchSize, BatchSize));
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                using var response = await node.Client.PostAsync("/api/v1/events/batch", content);
                if ((int)response.StatusCode != 202) throw new InvalidOperationException($"Batch refused: {(int)response.StatusCode}");
                Interlocked.Add(ref published, BatchSize);
            }
        }));
        while (sinceStart.Elapsed < end)
        {
            await Task.Delay(250);
            counts.Add((sinceStart.Elapsed.TotalSeconds, receiver.Count));
        }
        await publishing;
        double Rate(double from, double to) // deliveries per second between two times since the start, from the samples
        {
            var first = counts.Last(c => c.At <= from);
            var last = counts.First(c => c.At >= Math.Min(to, counts[^1].At));
            return (last.Count - first.Count) / (last.At - first.At);
        }
        var settled = Rate(ready + sizes.StartupSeconds - 10, ready + sizes.StartupSeconds);
        var reached = counts.Select(c => c.At).FirstOrDefault(t => t >= ready + 3 && Rate(t - 3, t) >= 0.9 * settled, double.NaN);
        var curve = Enumerable.Range(0, sizes.StartupSeconds / 5).Select(i => Rate(ready + 5 * i, ready + 5 * i + 5) / 1000);
        Console.Write($"[thousands/s per 5 s: {string.Join(" ", curve.Select(r => r.ToString("0.0")))}] ");
        Console.Write($"[first 10 s, per second: {string.Join(" ", Enumerable.Range(0, 10).Select(i => (Rate(ready + i, ready + i + 1) / 1000).ToString("0.0")))}] ");
        return new StartupResult(ready, Rate(ready, ready + 10), settled, reached);
    }

    /// <summary>
    /// Publishes <paramref name="events"/> events in batches, two publishers taking the nodes' APIs in turn, to the one
    /// webhook there is, and waits for the deliveries: deliveries per second from the first publish to the last delivery
    /// received (fewer arrive where none came for <see cref="Stall"/>; <see cref="BenchReceiver.Count"/> says how many).
    /// </summary>
    private async Task<double> DeliverAsync(IReadOnlyList<HooklineNode> nodes, int events, bool countIds)
    {
        var batches = Enumerable.Range(0, events / BatchSize).Select(b => Payloads.Batch(b * BatchSize, BatchSize)).ToList();
        receiver.Reset(events, countIds);
        var cpu = nodes.Sum(n => n.CpuSeconds());
        var start = Payloads.Now();
        await PublishAsync(nodes.Select(n => n.Client).ToList(), batches, publishers: 2);
        if (!await receiver.ArrivedAsync(events, Stall)) Console.Write($"[{receiver.Count:N0} of {events:N0} arrived, then none for {Stall.TotalMinutes:0} min] ");
        var seconds = Seconds(start, receiver.LastReceivedTicks);
        var used = nodes.Sum(n => n.CpuSeconds()) - cpu;
        Console.Write($"[Hookline used {used / seconds:0.00} cores, {used * 1e6 / events:0} µs CPU per delivery] ");
        return receiver.Count / seconds;
    }

    /// <summary>Events accepted durably per second by /events/batch (workers off, so only ingest is measured).</summary>
    public async Task<double> BatchIngestAsync(HooklineNode? on = null, int? events = null)
    {
        var own = on is null ? await HooklineNode.StartAsync(NewPlace(), NoWorker) : null;
        var node = on ?? own!;
        try
        {
            if (own is not null)
            {
                await node.CreateWebhooksAsync(receiver.Url + "/ingest", 1);
                await WarmUpAsync(node, delivers: false);
            }
            var count = events ?? sizes.BatchIngest;
            var batches = Enumerable.Range(0, count / BatchSize).Select(b => Payloads.Batch(b * BatchSize, BatchSize)).ToList();
            var cpu = node.CpuSeconds();
            var start = Payloads.Now();
            await PublishAsync([node.Client], batches, publishers: 2);
            var seconds = Seconds(start, Payloads.Now());
            Console.Write($"[{count:N0} events: Hookline used {(node.CpuSeconds() - cpu) / seconds:0.00} cores, {(node.CpuSeconds() - cpu) * 1e6 / count:0} µs CPU per event] ");
            return count / seconds;
        }
        finally { if (own is not null) await own.DisposeAsync(); }
    }

    /// <summary>Events accepted per second by single-event POSTs, 32 at a time.</summary>
    public async Task<double> SingleIngestAsync()
    {
        await using var node = await HooklineNode.StartAsync(NewPlace(), NoWorker);
        await node.CreateWebhooksAsync(receiver.Url + "/single", 1);
        await WarmUpAsync(node, delivers: false);
        var next = -1;
        var start = Payloads.Now();
        await Task.WhenAll(Enumerable.Range(0, 32).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < sizes.SingleIngest) await PostEventAsync(node.Client, Payloads.Event(i));
        }));
        return sizes.SingleIngest / Seconds(start, Payloads.Now());
    }

    /// <summary>A steady 1,000 events/s, one POST each; latency from the publisher's send to the receiver's receipt.</summary>
    public async Task<(double P50, double P95, double P99)> LatencyAsync()
    {
        const int rate = 1000;
        await using var node = await HooklineNode.StartAsync(NewPlace(), Worker);
        await node.CreateWebhooksAsync(receiver.Url + "/latency", 1);
        // warmed by the same paced load, which also opens many connections at once: code the batch warm-up never runs
        await WarmUpAsync(node, () => PacedAsync(node, rate, 2 * rate));
        var total = rate * sizes.LatencySeconds;
        var metrics = await node.MetricsAsync();
        var cpu = node.CpuSeconds();
        var ownPause = GC.GetTotalPauseDuration();
        var ownGen2 = GC.CollectionCount(2);
        var clock = Stopwatch.StartNew();
        var accepted = (await PacedAsync(node, rate, total)).Order().ToArray();
        Console.Write($"[bench process: {GC.CollectionCount(2) - ownGen2} gen2 GCs, paused {(GC.GetTotalPauseDuration() - ownPause).TotalMilliseconds:0} ms] ");
        Console.Write($"[202 after p50 {Percentile(accepted, 0.5):0.0} ms, p99 {Percentile(accepted, 0.99):0.0} ms] ");
        var seconds = clock.Elapsed.TotalSeconds;
        var after = await node.MetricsAsync();
        double Grew(string name) => after.GetValueOrDefault(name) - metrics.GetValueOrDefault(name);
        Console.Write($"[Hookline used {(node.CpuSeconds() - cpu) / seconds:0.00} cores; {Grew("dotnet_gc_collections_total"):0} GCs " +
            $"pausing {Grew("dotnet_gc_pause_time_seconds_total") * 1000:0} ms; {Grew("dotnet_jit_compiled_methods_total"):0} methods compiled] ");
        var ms = receiver.LatenciesMs();
        return (Percentile(ms, 0.50), Percentile(ms, 0.95), Percentile(ms, 0.99));
    }

    /// <summary>
    /// Publishes <paramref name="total"/> events at <paramref name="rate"/> a second, each sent when due whether or not
    /// the earlier ones are answered, and waits for all to be delivered; the 202 times in ms, in the order sent.
    /// </summary>
    private async Task<double[]> PacedAsync(HooklineNode node, int rate, int total)
    {
        receiver.Reset(total);
        var clock = Stopwatch.StartNew();
        var sends = new List<Task<double>>(total);
        for (var i = 0; i < total; i++)
        {
            var due = TimeSpan.FromSeconds(i / (double)rate);
            if (due > clock.Elapsed) await Task.Delay(due - clock.Elapsed);
            sends.Add(TimedPostAsync(node.Client, Payloads.Event(i, Payloads.Now())));
        }
        var accepted = await Task.WhenAll(sends);
        await receiver.WaitForAsync(total, TimeSpan.FromMinutes(5));
        return accepted;
    }

    /// <summary>One event type subscribed by many webhooks: deliveries per second.</summary>
    public async Task<double> FanoutAsync()
    {
        await using var node = await HooklineNode.StartAsync(NewPlace(), Worker);
        await node.CreateWebhooksAsync(receiver.Url + "/fanout", 1);
        await WarmUpAsync(node, delivers: true);
        await node.CreateWebhooksAsync(receiver.Url + "/fanout", sizes.FanoutWebhooks - 1);
        var total = sizes.FanoutWebhooks * sizes.FanoutEvents;
        receiver.Reset(total);
        var start = Payloads.Now();
        for (var i = 0; i < sizes.FanoutEvents; i++) await PostEventAsync(node.Client, Payloads.Event(i));
        await receiver.WaitForAsync(total, TimeSpan.FromMinutes(30));
        return total / Seconds(start, receiver.LastReceivedTicks);
    }

    /// <summary>
    /// A backlog: deliveries queued while nothing drains them (the receiver is down; workers are off so that no
    /// retry churn is measured), the ingest rate as the queue grows, then the drain rate once delivery resumes.
    /// The ingest rate is read against the same node's rate into the empty queue, measured just before the queue is
    /// filled: the batch workload's rate, minutes earlier in another process, moved 38,800-53,100 events/s between runs on
    /// this shared machine, and with it the ratio (0.74-1.51 × over sixteen full runs, either store).
    /// </summary>
    public async Task<(double IngestPerSec, double EmptyPerSec, double DrainPerSec, double PeakRssMiB)> BacklogAsync()
    {
        var place = NewPlace();
        double empty, ingest, peak;
        string token;
        int queued;
        await using (var filling = await HooklineNode.StartAsync(place, NoWorker))
        {
            await filling.CreateWebhooksAsync(receiver.Url + "/backlog", 1);
            token = filling.Token;
            queued = await WarmUpAsync(filling, delivers: false) * WarmUpRoundEvents + sizes.Backlog;
            var tenth = sizes.Backlog / 10;
            empty = await BatchIngestAsync(filling, tenth); // the first tenth, into a queue holding only the warm-up's events
            await BatchIngestAsync(filling, sizes.Backlog - 2 * tenth);
            // As before every timed window, what filling the queue left dirty is written out first: the empty-queue rate it is
            // read against was measured so too. Without it, whether one of the fill's checkpoints fell in the 100,000 measured
            // events decided the figure (PostgreSQL 0.76-1.00 × in full runs).
            store.Quiesce();
            ingest = await BatchIngestAsync(filling, tenth); // the last tenth, with 90 % of the backlog already queued
            peak = filling.PeakRssMiB();
        }
        receiver.Reset(queued);
        store.Quiesce();
        var start = Payloads.Now();
        await using var draining = await HooklineNode.StartAsync(place, Worker, token);
        await receiver.WaitForAsync(queued, TimeSpan.FromHours(2));
        var drain = queued / Seconds(start, receiver.LastReceivedTicks);
        Console.Write($"[peak RSS: filling {peak:0} MiB, draining {draining.PeakRssMiB():0} MiB] ");
        return (ingest, empty, drain, Math.Max(peak, draining.PeakRssMiB()));
    }

    /// <summary>
    /// Brings a new Hookline process to its steady state before anything is timed. .NET compiles a method again and again
    /// as it gets hot (tiered, profile-guided), on a background thread, and on two busy cores that goes on for tens of
    /// seconds after a start: measured meanwhile, a run measures the JIT (in a latency run it took 16 % of the CPU samples,
    /// and p99 was 27–40 ms against 9–13 ms once settled). So rounds of warm-up load repeat until one leaves the JIT's count,
    /// read from /metrics, nearly unchanged (at most <see cref="Sizes.MaxWarmUpRounds"/>; the quick mode does one round,
    /// unsettled, and reads no metrics).
    /// </summary>
    private Task<int> WarmUpAsync(HooklineNode node, bool delivers) => WarmUpAsync(node, () => WarmUpRoundAsync(node, delivers));

    /// <summary>Warms <paramref name="node"/> up by rounds of load; how many rounds it took.</summary>
    private async Task<int> WarmUpAsync(HooklineNode node, Func<Task> round)
    {
        const int settled = 20; // methods compiled in one round
        if (sizes.MaxWarmUpRounds == 1)
        {
            await round();
            return 1;
        }
        var start = Stopwatch.StartNew();
        var before = await node.JitCompiledMethodsAsync();
        for (var rounds = 1; ; rounds++)
        {
            await round();
            var after = await node.JitCompiledMethodsAsync();
            if (after - before <= settled || rounds >= sizes.MaxWarmUpRounds)
            {
                Console.Write($"[warm: {rounds} round(s), {start.Elapsed.TotalSeconds:0} s, last +{after - before} methods] ");
                store.Quiesce(); // and what the warm-up left
                CollectOwnGarbage();
                return rounds;
            }
            before = after;
        }
    }

    /// <summary>
    /// Collects the bench's own garbage (earlier workloads' 1 MB batches and receipts, the warm-up's) before a measurement,
    /// rather than by a full GC of the publisher and receiver in the middle of one: one such GC paused them for 54-79 ms
    /// during the latency window, which that run counted as Hookline's latency.
    /// </summary>
    public static void CollectOwnGarbage()
    {
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    }

    /// <summary>Events one warm-up round publishes: ten batches and 1,000 single events.</summary>
    private const int WarmUpRoundEvents = 10 * BatchSize + 1000;

    /// <summary>Batches and single events (<see cref="WarmUpRoundEvents"/>), delivered too where <paramref name="delivers"/>.</summary>
    private async Task WarmUpRoundAsync(HooklineNode node, bool delivers)
    {
        var warm = Enumerable.Range(0, 10).Select(b => Payloads.Batch(b * BatchSize, BatchSize)).ToList();
        receiver.Reset(WarmUpRoundEvents);
        await PublishAsync([node.Client], warm, publishers: 2);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(async p =>
        {
            for (var i = 0; i < 250; i++) await PostEventAsync(node.Client, Payloads.Event(p * 250 + i));
        }));
        if (delivers) await receiver.WaitForAsync(WarmUpRoundEvents, TimeSpan.FromMinutes(5));
    }

    /// <summary>Posts the batches, <paramref name="publishers"/> at a time, batch i to client i mod their count.</summary>
    private static async Task PublishAsync(IReadOnlyList<HttpClient> clients, List<byte[]> batches, int publishers)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, publishers).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < batches.Count)
            {
                var content = new ByteArrayContent(batches[i]);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                using var response = await clients[i % clients.Count].PostAsync("/api/v1/events/batch", content);
                if ((int)response.StatusCode != 202) throw new InvalidOperationException($"Batch refused: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
        }));
    }

    private static async Task<double> TimedPostAsync(HttpClient client, string json)
    {
        var start = Payloads.Now();
        await PostEventAsync(client, json);
        return Seconds(start, Payloads.Now()) * 1000;
    }

    private static async Task PostEventAsync(HttpClient client, string json)
    {
        using var response = await client.PostAsync("/api/v1/events", new StringContent(json, Encoding.UTF8, "application/json"));
        if ((int)response.StatusCode != 202) throw new InvalidOperationException($"Event refused: {(int)response.StatusCode}");
    }

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? double.NaN : sorted[(int)Math.Min(sorted.Length - 1, p * sorted.Length)];
}
