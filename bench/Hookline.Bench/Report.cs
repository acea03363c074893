using System.Text.Json;

namespace Hookline.Bench;

public static class Report
{
    /// <summary>The table for the README: every figure from this run, each target beside it.</summary>
    public static void Print(int cores, string store, object result)
    {
        var r = JsonSerializer.SerializeToElement(result);
        double D(params string[] path) => path.Aggregate(r, (e, p) => e.GetProperty(p)).GetDouble();
        string Mark(bool met) => met ? "met" : "MISSED";
        Console.WriteLine();
        Console.WriteLine($"| workload ({cores} cores, {store}) | figure | target | |");
        Console.WriteLine("|---|---|---|---|");
        Console.WriteLine($"| ceiling: HttpClient → receiver | {D("ceilingPerSec"):N0} req/s | | |");
        Console.WriteLine($"| baseline: Hangfire + HttpClient | {D("baselinePerSec"):N1} deliveries/s | | |");
        Console.WriteLine($"| throughput (batch publish, fan-out 1) | {D("throughputPerSec"):N0} deliveries/s | | |");
        Console.WriteLine($"| … ratio to ceiling | {D("ratioToCeiling"):0.###} | ≥ 0.25 | {Mark(D("ratioToCeiling") >= 0.25)} |");
        Console.WriteLine($"| … ratio to baseline | {D("ratioToBaseline"):0.#} | ≥ 10 | {Mark(D("ratioToBaseline") >= 10)} |");
        Console.WriteLine($"| latency p50 at 1,000 events/s | {D("latencyMs", "p50"):0.##} ms | ≤ 5 ms | {Mark(D("latencyMs", "p50") <= 5)} |");
        Console.WriteLine($"| latency p95 | {D("latencyMs", "p95"):0.##} ms | | |");
        Console.WriteLine($"| latency p99 | {D("latencyMs", "p99"):0.##} ms | ≤ 25 ms | {Mark(D("latencyMs", "p99") <= 25)} |");
        Console.WriteLine($"| batch ingest (durable) | {D("batchIngestPerSec"):N0} events/s | ≥ 20,000 | {Mark(D("batchIngestPerSec") >= 20_000)} |");
        Console.WriteLine($"| single-event ingest | {D("singleIngestPerSec"):N0} events/s | | |");
        Console.WriteLine($"| fan-out to {D("fanout", "webhooks"):N0} webhooks | {D("fanout", "perSec"):N0} deliveries/s | | |");
        Console.WriteLine($"| backlog of {D("backlog", "size"):N0}: ingest | {D("backlog", "ingestPerSec"):N0} events/s ({D("backlog", "ingestRatio"):0.00} × empty) | ≥ 0.8 × | {Mark(D("backlog", "ingestRatio") >= 0.8)} |");
        Console.WriteLine($"| backlog: drain | {D("backlog", "drainPerSec"):N0} deliveries/s ({D("backlog", "drainRatio"):0.00} × empty) | ≥ 0.8 × | {Mark(D("backlog", "drainRatio") >= 0.8)} |");
        Console.WriteLine($"| backlog: peak RSS | {D("backlog", "peakRssMiB"):N0} MiB | ≤ 400 MiB | {Mark(D("backlog", "peakRssMiB") <= 400)} |");
    }
}
