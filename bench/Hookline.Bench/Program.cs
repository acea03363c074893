using System.Runtime.InteropServices;
using System.Text.Json;
using Hookline.Bench;

// dotnet run -c Release --project bench/Hookline.Bench -- [--quick] [--json FILE] [--only WORKLOAD,…] [--postgres CONNECTION]
var quick = args.Contains("--quick");
string? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
var jsonPath = Option("--json");
var only = Option("--only"); // some workloads, comma-separated, for profiling
var sizes = quick ? Sizes.Quick : Sizes.Full;
var root = Directory.CreateTempSubdirectory("hookline-bench-").FullName;
var store = new Store(root, Option("--postgres")); // a server connection string: every workload on its own database there
Console.WriteLine($"Hookline bench ({(quick ? "quick" : "full")}) on {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, store {store.Name}");

await using var receiver = await BenchReceiver.StartAsync();
var w = new Workloads(receiver, sizes, store);
try
{
    async Task<T> Step<T>(string name, Func<Task<T>> run)
    {
        Console.Write($"  {name,-14} ");
        Workloads.CollectOwnGarbage();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = await run();
        Console.WriteLine($"{result}  ({clock.Elapsed.TotalSeconds:0.0} s)");
        return result;
    }

    if (only is not null)
    {
        var steps = new Dictionary<string, Func<Task<object>>>
        {
            ["throughput"] = async () => await w.ThroughputAsync(), ["latency"] = async () => await w.LatencyAsync(),
            ["batch"] = async () => await w.BatchIngestAsync(), ["single"] = async () => await w.SingleIngestAsync(),
            ["fanout"] = async () => await w.FanoutAsync(), ["ceiling"] = async () => await w.CeilingAsync(),
            ["baseline"] = async () => await w.BaselineAsync(), ["backlog"] = async () => await w.BacklogAsync(),
        };
        foreach (var name in only.Split(',')) await Step(name, steps[name]);
        return 0;
    }

    var ceiling = await Step("ceiling", w.CeilingAsync);
    var baseline = await Step("baseline", w.BaselineAsync);
    var throughput = await Step("throughput", w.ThroughputAsync);
    var latency = await Step("latency", w.LatencyAsync);
    var batchIngest = await Step("batch ingest", () => w.BatchIngestAsync());
    var singleIngest = await Step("single ingest", w.SingleIngestAsync);
    var fanout = await Step("fan-out", w.FanoutAsync);
    var backlog = await Step("backlog", w.BacklogAsync);

    var result = new
    {
        machine = new { cores = Environment.ProcessorCount, os = RuntimeInformation.OSDescription },
        store = store.Name,
        mode = quick ? "quick" : "full",
        ceilingPerSec = Math.Round(ceiling), baselinePerSec = Math.Round(baseline, 1), throughputPerSec = Math.Round(throughput),
        ratioToCeiling = Math.Round(throughput / ceiling, 3), ratioToBaseline = Math.Round(throughput / baseline, 1),
        latencyMs = new { p50 = Math.Round(latency.P50, 2), p95 = Math.Round(latency.P95, 2), p99 = Math.Round(latency.P99, 2) },
        batchIngestPerSec = Math.Round(batchIngest), singleIngestPerSec = Math.Round(singleIngest),
        fanout = new { webhooks = sizes.FanoutWebhooks, perSec = Math.Round(fanout) },
        backlog = new
        {
            size = sizes.Backlog, ingestPerSec = Math.Round(backlog.IngestPerSec), drainPerSec = Math.Round(backlog.DrainPerSec),
            peakRssMiB = Math.Round(backlog.PeakRssMiB), ingestRatio = Math.Round(backlog.IngestPerSec / batchIngest, 2),
            drainRatio = Math.Round(backlog.DrainPerSec / throughput, 2),
        },
    };
    Report.Print(result.machine.cores, store.Name, result);
    if (jsonPath is not null) await File.WriteAllTextAsync(jsonPath, JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
    return 0;
}
finally
{
    w.Clean();
    try { Directory.Delete(root, recursive: true); } catch (IOException) { }
}
