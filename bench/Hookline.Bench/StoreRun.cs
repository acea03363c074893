using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;

namespace Hookline.Bench;

/// <summary>The chosen workloads on one store, in this order, a line each as it ends; the figures they gave.</summary>
public sealed class StoreRun(Workloads w, Store store)
{
    public static readonly string[] Names = ["ceiling", "baseline", "throughput", "latency", "batch", "single", "fanout", "backlog", "scaleout", "startup", "noisy"];

    /// <summary>Measured with the first store and given to the others (<see cref="ShareCeiling"/>): it involves no store.</summary>
    public double? Ceiling { get; private set; }

    public void ShareCeiling(double? ceiling) => Ceiling ??= ceiling;

    /// <summary>Drops what this store's workloads left (before another store's workload starts, too).</summary>
    public void Clean() => w.Clean();
    public double? Baseline { get; private set; }
    public double? Throughput { get; private set; }
    public (double P50, double P95, double P99)? Latency { get; private set; }
    public double? BatchIngest { get; private set; }
    public double? SingleIngest { get; private set; }
    public double? Fanout { get; private set; }
    public (double IngestPerSec, double EmptyPerSec, double DrainPerSec, double PeakRssMiB)? Backlog { get; private set; }
    public PostgresCost? Cost { get; private set; }
    public ScaleoutResult? Scaleout { get; private set; }
    public StartupResult? Startup { get; private set; }
    public NoisyResult? Noisy { get; private set; }

    public async Task RunAsync(IReadOnlyCollection<string> chosen)
    {
        bool Runs(string name) => chosen.Contains(name);
        if (Runs("ceiling") && Ceiling is { } shared) Console.WriteLine($"  {"ceiling",-14} {store.Name,-9} {shared:N0} (measured with the first store)");
        else if (Runs("ceiling")) Ceiling = await Step("ceiling", w.CeilingAsync);
        if (Runs("baseline")) Baseline = await Step("baseline", w.BaselineAsync);
        if (Runs("throughput"))
        {
            (Throughput, Cost) = await Step("throughput", w.ThroughputAsync, r => $"{r.PerSec:N0}");
            if (Cost is not null) Report.PrintCost("throughput", Cost);
        }
        if (Runs("latency")) Latency = await Step("latency", w.LatencyAsync);
        if (Runs("batch")) BatchIngest = await Step("batch ingest", () => w.BatchIngestAsync());
        if (Runs("single")) SingleIngest = await Step("single ingest", w.SingleIngestAsync);
        if (Runs("fanout")) Fanout = await Step("fan-out", w.FanoutAsync);
        if (Runs("backlog")) Backlog = await Step("backlog", w.BacklogAsync);
        if (Runs("startup")) Startup = await Step("startup", w.StartupAsync);
        if (Runs("noisy"))
            Noisy = await Step("noisy", w.NoisyAsync, r => $"p99 alone {r.Alone.P99:0.0} ms (after ÷ before {r.AloneSpread:0.00}), beside a hanging receiver {r.Hanging.P99:0.0} ms " +
                $"({r.HangingRatio:0.00} ×), beside a failing one {r.Failing.P99:0.0} ms ({r.FailingRatio:0.00} ×)");
        if (Runs("scaleout") && store.Postgres is null) Console.WriteLine($"  {"scaleout",-14} PostgreSQL only: not run on {store.Name}");
        else if (Runs("scaleout"))
        {
            Scaleout = await Step("scaleout", w.ScaleoutAsync, r => $"{r.ThreeToOne:0.00} × 1 node with 3");
            Report.PrintScaleout(Scaleout);
        }
    }

    private async Task<T> Step<T>(string name, Func<Task<T>> run, Func<T, string>? show = null)
    {
        Console.Write($"  {name,-14} {store.Name,-9} ");
        Workloads.CollectOwnGarbage();
        var clock = Stopwatch.StartNew();
        var result = await run();
        Console.WriteLine($"{(show is null ? result : show(result))}  ({clock.Elapsed.TotalSeconds:0.0} s)");
        return result;
    }

    /// <summary>The figures in DESIGN.md's JSON shape, each key where its workloads ran.</summary>
    public JsonObject ToJson(Sizes sizes, bool quick)
    {
        var json = new JsonObject
        {
            ["machine"] = new JsonObject { ["cores"] = Environment.ProcessorCount, ["os"] = RuntimeInformation.OSDescription },
            ["store"] = store.Name,
            ["mode"] = quick ? "quick" : "full",
        };
        if (Ceiling is { } c) json["ceilingPerSec"] = Math.Round(c);
        if (Baseline is { } b) json["baselinePerSec"] = Math.Round(b, 1);
        if (Throughput is { } t) json["throughputPerSec"] = Math.Round(t);
        if (Ceiling is not null && Throughput is not null) json["ratioToCeiling"] = Math.Round(Throughput.Value / Ceiling.Value, 3);
        if (Baseline is not null && Throughput is not null) json["ratioToBaseline"] = Math.Round(Throughput.Value / Baseline.Value, 1);
        if (Latency is { } l) json["latencyMs"] = new JsonObject { ["p50"] = Math.Round(l.P50, 2), ["p95"] = Math.Round(l.P95, 2), ["p99"] = Math.Round(l.P99, 2) };
        if (BatchIngest is { } bi) json["batchIngestPerSec"] = Math.Round(bi);
        if (SingleIngest is { } si) json["singleIngestPerSec"] = Math.Round(si);
        if (Fanout is { } f) json["fanout"] = new JsonObject { ["webhooks"] = sizes.FanoutWebhooks, ["perSec"] = Math.Round(f) };
        if (Backlog is { } bl)
        {
            var backlog = new JsonObject
            {
                ["size"] = sizes.Backlog, ["ingestPerSec"] = Math.Round(bl.IngestPerSec), ["emptyIngestPerSec"] = Math.Round(bl.EmptyPerSec),
                ["ingestRatio"] = Math.Round(bl.IngestPerSec / bl.EmptyPerSec, 2), ["drainPerSec"] = Math.Round(bl.DrainPerSec),
                ["peakRssMiB"] = Math.Round(bl.PeakRssMiB),
            };
            if (Throughput is not null) backlog["drainRatio"] = Math.Round(bl.DrainPerSec / Throughput.Value, 2);
            json["backlog"] = backlog;
        }
        if (Startup is { } st)
            json["startup"] = new JsonObject
            {
                ["readySeconds"] = Math.Round(st.ReadySeconds, 1), ["first10PerSec"] = Math.Round(st.First10PerSec),
                ["settledPerSec"] = Math.Round(st.SettledPerSec), ["ratio"] = Math.Round(st.Ratio, 2),
                ["secondsTo90"] = double.IsNaN(st.SecondsTo90) ? null : Math.Round(st.SecondsTo90, 1),
            };
        if (Noisy is { } n)
        {
            static JsonObject Pair((double P50, double P99) x) => new() { ["p50"] = Math.Round(x.P50, 2), ["p99"] = Math.Round(x.P99, 2) };
            var hanging = Pair(n.Hanging);
            hanging["ratio"] = Math.Round(n.HangingRatio, 2);
            var failing = Pair(n.Failing);
            failing["ratio"] = Math.Round(n.FailingRatio, 2);
            var alone = Pair(n.Alone);
            alone["spread"] = Math.Round(n.AloneSpread, 2);
            json["noisy"] = new JsonObject { ["eventsPerSec"] = 500, ["alone"] = alone, ["hanging"] = hanging, ["failing"] = failing };
        }
        return json;
    }
}
