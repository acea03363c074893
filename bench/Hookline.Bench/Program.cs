using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hookline.Bench;

// dotnet run -c Release --project bench/Hookline.Bench -- [--quick] [--json FILE] [--only WORKLOAD,…] [--store sqlite,postgres] [--postgres CONNECTION]
//   [--node-env KEY=VALUE]… [--hookline PATH/Hookline.dll]
var quick = args.Contains("--quick");
string? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
var jsonPath = Option("--json");
var server = Option("--postgres"); // a server connection string: every workload on its own database there
var asked = (Option("--store") ?? (server is null ? "sqlite" : "postgres")).Split(',');
var stores = new[] { "sqlite", "postgres" }.Where(asked.Contains).ToArray(); // SQLite first: PostgreSQL's figures are read against it
var only = Option("--only")?.Split(','); // some workloads, for profiling
// Runtime settings for every Hookline process (DOTNET_TieredPGO=0 …) and another build of it (a ReadyToRun publish), to compare.
foreach (var setting in args.Select((a, i) => (a, i)).Where(x => x.a == "--node-env" && x.i + 1 < args.Length).Select(x => args[x.i + 1]))
    HooklineNode.ExtraEnvironment[setting.Split('=', 2)[0]] = setting.Split('=', 2).ElementAtOrDefault(1) ?? "";
if (Option("--hookline") is { } dll) HooklineNode.Dll = Path.GetFullPath(dll);
if (asked.Except(stores).Concat(only?.Except(StoreRun.Names) ?? []).FirstOrDefault() is { } unknown)
{
    Console.Error.WriteLine($"Unknown store or workload '{unknown}': stores are sqlite, postgres; workloads {string.Join(", ", StoreRun.Names)}.");
    return 2;
}
var sizes = quick ? Sizes.Quick : Sizes.Full;
var root = Directory.CreateTempSubdirectory("hookline-bench-").FullName;
PostgresCluster? cluster = null;
void Clean()
{
    cluster?.Dispose();
    try { Directory.Delete(root, recursive: true); } catch (IOException) { }
}
// The receiver's host takes Ctrl-C and SIGTERM for itself (it stops, the bench would go on without it), and the finally
// below does not run on a signal: so a signal ends the nodes, the throwaway cluster and the bench here.
void Abandon(PosixSignalContext signal)
{
    HooklineNode.KillAll();
    Clean();
    Environment.Exit(signal.Signal switch { PosixSignal.SIGINT => 130, PosixSignal.SIGHUP => 129, _ => 143 });
}
using var interrupted = PosixSignalRegistration.Create(PosixSignal.SIGINT, Abandon);
using var terminated = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Abandon);
using var hungUp = PosixSignalRegistration.Create(PosixSignal.SIGHUP, Abandon);
try
{
    if (stores.Contains("postgres") && server is null) server = (cluster = PostgresCluster.Start()).ConnectionString;
    Console.WriteLine($"Hookline bench ({(quick ? "quick" : "full")}) on {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, " +
        $"store {string.Join(", ", stores)}");
    var postgresServer = server is null || !stores.Contains("postgres") ? null : new Store(root, server).ServerSettings();
    if (postgresServer is not null)
        Console.WriteLine($"PostgreSQL {postgresServer["server_version"]} ({(cluster is null ? "given by --postgres" : "throwaway cluster, default durability")}): " +
            string.Join(", ", postgresServer.Where(s => s.Key != "server_version").Select(s => $"{s.Key}={s.Value}")));

    await using var receiver = await BenchReceiver.StartAsync();
    // Workload by workload, each on every store in turn: a ratio of PostgreSQL to SQLite then compares measurements made a
    // minute apart, not the two halves of a quarter of an hour on a shared machine whose speed drifts (run 13, store after
    // store: SQLite's half at a ceiling-like pace, PostgreSQL's half with every workload 10-20 % slower, throughput 0.74 ×).
    var runs = stores.ToDictionary(name => name, name =>
    {
        var store = new Store(root, name == "postgres" ? server : null);
        return new StoreRun(new Workloads(receiver, sizes, store), store);
    });
    try
    {
        foreach (var workload in only ?? StoreRun.Names)
            foreach (var name in stores.Where(name => workload != "scaleout" || name == "postgres" || only is not null))
            {
                foreach (var run in runs.Values) run.Clean(); // the workload before, on whichever store, is gone
                runs[name].ShareCeiling(runs[stores[0]].Ceiling);
                await runs[name].RunAsync([workload]);
            }
    }
    finally { foreach (var run in runs.Values) run.Clean(); }

    var figures = runs.ToDictionary(r => r.Key, r => r.Value.ToJson(sizes, quick));
    foreach (var name in stores) Report.Print(name, figures[name]);
    var result = (JsonObject)figures[stores[0]].DeepClone(); // the first store's figures stay at the top, as DESIGN.md has them
    result["stores"] = new JsonObject(stores.Select(name => KeyValuePair.Create(name, (JsonNode?)figures[name])));
    if (figures.TryGetValue("sqlite", out var sqlite) && figures.TryGetValue("postgres", out var postgres))
    {
        result["postgresToSqlite"] = Report.Ratios(sqlite, postgres);
        Report.PrintComparison(sqlite, postgres, result["postgresToSqlite"]!.AsObject());
    }
    if (postgresServer is not null) result["postgresServer"] = new JsonObject(postgresServer.Select(s => KeyValuePair.Create(s.Key, (JsonNode?)s.Value)));
    if (runs.GetValueOrDefault("postgres") is { } pg)
    {
        if (pg.Scaleout is not null) result["scaleout"] = pg.Scaleout.ToJson();
        var cost = new JsonObject();
        if (pg.Cost is not null) cost["throughput"] = pg.Cost.ToJson();
        if (pg.Scaleout is not null)
            cost["scaleout"] = new JsonObject(pg.Scaleout.Rounds.Where(r => r.Cost is not null).Select(r => KeyValuePair.Create($"{r.Nodes}", (JsonNode?)r.Cost!.ToJson())));
        if (cost.Count > 0) result["postgresCost"] = cost;
    }
    if (jsonPath is not null) await File.WriteAllTextAsync(jsonPath, result.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
    return 0;
}
finally
{
    Clean();
}
