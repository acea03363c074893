using System.Text.Json;
using System.Text.Json.Nodes;

namespace Hookline.Bench;

/// <summary>The tables for the README: every figure from this run, each target beside it; rows whose workloads did not run are left out.</summary>
public static class Report
{
    private static double? D(JsonObject figures, string path) =>
        path.Split('.').Aggregate((JsonNode?)figures, (node, key) => node?[key])?.Deserialize<double>();

    private static string Mark(bool met) => met ? "met" : "MISSED";

    public static void Print(string store, JsonObject f)
    {
        var rows = new List<string>();
        void Row(string label, string path, Func<double, string> figure, string target = "", Func<double, bool>? met = null)
        {
            if (D(f, path) is { } v) rows.Add($"| {label} | {figure(v)} | {target} | {(met is null ? "" : Mark(met(v)))} |");
        }
        Row("ceiling: HttpClient → receiver", "ceilingPerSec", v => $"{v:N0} req/s");
        Row("baseline: Hangfire + HttpClient", "baselinePerSec", v => $"{v:N1} deliveries/s");
        Row("throughput (batch publish, fan-out 1)", "throughputPerSec", v => $"{v:N0} deliveries/s");
        Row("… ratio to ceiling", "ratioToCeiling", v => $"{v:0.###}", "≥ 0.25", v => v >= 0.25);
        Row("… ratio to baseline", "ratioToBaseline", v => $"{v:0.#}", "≥ 10", v => v >= 10);
        Row("latency p50 at 1,000 events/s", "latencyMs.p50", v => $"{v:0.##} ms", "≤ 5 ms", v => v <= 5);
        Row("latency p95", "latencyMs.p95", v => $"{v:0.##} ms");
        Row("latency p99", "latencyMs.p99", v => $"{v:0.##} ms", "≤ 25 ms", v => v <= 25);
        Row("batch ingest (durable)", "batchIngestPerSec", v => $"{v:N0} events/s", "≥ 20,000", v => v >= 20_000);
        Row("single-event ingest", "singleIngestPerSec", v => $"{v:N0} events/s");
        Row($"fan-out to {D(f, "fanout.webhooks"):N0} webhooks", "fanout.perSec", v => $"{v:N0} deliveries/s");
        Row($"backlog of {D(f, "backlog.size"):N0}: ingest", "backlog.ingestPerSec", v => $"{v:N0} events/s ({D(f, "backlog.ingestRatio"):0.00} × {D(f, "backlog.emptyIngestPerSec"):N0} into the empty queue)",
            "≥ 0.8 ×", _ => D(f, "backlog.ingestRatio") >= 0.8);
        if (D(f, "backlog.drainRatio") is null) Row("backlog: drain", "backlog.drainPerSec", v => $"{v:N0} deliveries/s (throughput not run)");
        else Row("backlog: drain", "backlog.drainPerSec", v => $"{v:N0} deliveries/s ({D(f, "backlog.drainRatio"):0.00} × throughput into an empty queue)",
            "≥ 0.8 ×", _ => D(f, "backlog.drainRatio") >= 0.8);
        Row("backlog: peak RSS", "backlog.peakRssMiB", v => $"{v:N0} MiB", "≤ 400 MiB", v => v <= 400);
        Row("start: ready after", "startup.readySeconds", v => $"{v:0.0} s");
        Row("start: first 10 s ÷ settled", "startup.ratio",
            v => $"{v:0.00} ({D(f, "startup.first10PerSec"):N0} ÷ {D(f, "startup.settledPerSec"):N0} deliveries/s)", "≥ 0.7", v => v >= 0.7);
        Row("start: 90 % of settled after", "startup.secondsTo90", v => $"{v:0.0} s");
        Row("noisy: healthy p50 / p99 at 500 events/s, alone (before and after)", "noisy.alone.p99",
            v => $"{D(f, "noisy.alone.p50"):0.##} / {v:0.##} ms" + (D(f, "noisy.alone.spread") is { } s ? $" (p99 after ÷ before {s:0.00})" : ""));
        Row("… beside 20,000 to a receiver that hangs", "noisy.hanging.ratio",
            v => $"{D(f, "noisy.hanging.p50"):0.##} / {D(f, "noisy.hanging.p99"):0.##} ms (p99 {v:0.00} ×)", "≤ 1.5 ×", v => v <= 1.5);
        Row("… beside 20,000 to a receiver that answers 500", "noisy.failing.ratio",
            v => $"{D(f, "noisy.failing.p50"):0.##} / {D(f, "noisy.failing.p99"):0.##} ms (p99 {v:0.00} ×)", "≤ 1.5 ×", v => v <= 1.5);
        if (rows.Count == 0) return;
        Console.WriteLine();
        Console.WriteLine($"| workload ({Environment.ProcessorCount} cores, {store}) | figure | target | |");
        Console.WriteLine("|---|---|---|---|");
        rows.ForEach(Console.WriteLine);
    }

    /// <summary>The figures compared across stores: the JSON key of the ratio, the row's label, where the figure is.</summary>
    private static readonly (string Key, string Label, string Path)[] Compared =
    [
        ("baseline", "baseline: Hangfire + HttpClient (deliveries/s)", "baselinePerSec"),
        ("throughput", "throughput (deliveries/s)", "throughputPerSec"),
        ("latencyP50", "latency p50 (ms)", "latencyMs.p50"),
        ("latencyP95", "latency p95 (ms)", "latencyMs.p95"),
        ("latencyP99", "latency p99 (ms)", "latencyMs.p99"),
        ("batchIngest", "batch ingest (events/s)", "batchIngestPerSec"),
        ("singleIngest", "single-event ingest (events/s)", "singleIngestPerSec"),
        ("fanout", "fan-out (deliveries/s)", "fanout.perSec"),
        ("backlogIngest", "backlog: ingest (events/s)", "backlog.ingestPerSec"),
        ("backlogDrain", "backlog: drain (deliveries/s)", "backlog.drainPerSec"),
        ("backlogPeakRss", "backlog: peak RSS (MiB)", "backlog.peakRssMiB"),
    ];

    /// <summary>PostgreSQL's figures as ratios to SQLite's from the same run, for the figures both stores have.</summary>
    public static JsonObject Ratios(JsonObject sqlite, JsonObject postgres)
    {
        var ratios = new JsonObject();
        foreach (var (key, _, path) in Compared)
            if (D(sqlite, path) is { } s && D(postgres, path) is { } p && s != 0) ratios[key] = Math.Round(p / s, 3);
        return ratios;
    }

    public static void PrintComparison(JsonObject sqlite, JsonObject postgres, JsonObject ratios)
    {
        Console.WriteLine();
        Console.WriteLine($"| workload ({Environment.ProcessorCount} cores) | SQLite | PostgreSQL | PostgreSQL ÷ SQLite | target | |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var (key, label, path) in Compared)
        {
            if (ratios[key]?.GetValue<double>() is not { } ratio) continue;
            var target = key == "throughput" ? $"≥ 0.8 | {Mark(ratio >= 0.8)}" : " |";
            Console.WriteLine($"| {label} | {D(sqlite, path):#,0.##} | {D(postgres, path):#,0.##} | {ratio:#,0.###} | {target} |");
        }
    }

    public static void PrintScaleout(ScaleoutResult result)
    {
        Console.WriteLine();
        Console.WriteLine($"| scaleout ({Environment.ProcessorCount} cores, postgres, {result.Events:N0} events) | deliveries/s | lost | duplicates | statements per delivery | transactions per delivery |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var r in result.Rounds)
            Console.WriteLine($"| {r.Nodes} node{(r.Nodes == 1 ? "" : "s")} | {r.PerSec:N0} | {r.Lost} ({Mark(r.Lost == 0)}) | {r.Duplicates} | " +
                $"{r.Cost?.StatementsPerDelivery?.ToString("0.##") ?? "n/a"} | {r.Cost?.TransactionsPerDelivery.ToString("0.##") ?? "n/a"} |");
        Console.WriteLine($"| {result.Rounds[^1].Nodes} nodes ÷ 1 node | {result.ThreeToOne:0.00} (target ≥ 0.9: {Mark(result.ThreeToOne >= 0.9)}) | | | | |");
        Console.WriteLine();
    }

    public static void PrintCost(string workload, PostgresCost cost)
    {
        Console.WriteLine($"    PostgreSQL's cost in the {workload} window ({cost.Events:N0} events, {cost.Deliveries:N0} deliveries): " +
            $"{cost.Transactions:N0} transactions = {cost.TransactionsPerDelivery:0.##} per delivery; " +
            (cost.Statements is null ? "statements could not be read (no pg_stat_statements)" :
                $"{cost.Statements:N0} statements = {cost.StatementsPerEvent:0.##} per event, {cost.StatementsPerDelivery:0.##} per delivery"));
        if (cost.ServerCpuUsPerDelivery is { } cpu)
            Console.WriteLine($"    PostgreSQL CPU: {cpu:N1} µs per delivery (its processes on this machine), of which statements planned and run " +
                $"{cost.ExecutorUsPerDelivery?.ToString("N1") ?? "?"} µs: one PostgreSQL core feeds ~{1e6 / cpu:N0} deliveries/s");
        foreach (var (calls, query) in cost.Top)
            Console.WriteLine($"    {calls,10:N0} calls {calls / (double)cost.Deliveries,7:0.###} per delivery  {(query.Length > 110 ? query[..110] + "…" : query)}");
    }
}
