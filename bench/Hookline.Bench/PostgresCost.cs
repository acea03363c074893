using System.Text.Json.Nodes;
using Npgsql;

namespace Hookline.Bench;

/// <summary>
/// What PostgreSQL itself did for a measured window on one database: statements executed (pg_stat_statements, null where
/// the server does not have it) and transactions committed (pg_stat_database), per event and per delivery.
/// </summary>
public sealed record PostgresCost(int Events, int Deliveries, long? Statements, long Transactions, IReadOnlyList<(long Calls, string Query)> Top,
    double? ExecutorMs, double? ServerCpuMs)
{
    /// <summary>CPU of every postgres process on this machine (backends, WAL writer, checkpointer) per delivery, in µs.</summary>
    public double? ServerCpuUsPerDelivery => ServerCpuMs * 1000 / Deliveries;
    /// <summary>Planning and execution time of the statements (pg_stat_statements) per delivery, in µs.</summary>
    public double? ExecutorUsPerDelivery => ExecutorMs * 1000 / Deliveries;

    public double? StatementsPerEvent => Statements / (double)Events;
    public double? StatementsPerDelivery => Statements / (double)Deliveries;
    public double TransactionsPerDelivery => Transactions / (double)Deliveries;

    public JsonObject ToJson() => new()
    {
        ["events"] = Events, ["deliveries"] = Deliveries,
        ["statements"] = Statements, ["statementsPerEvent"] = Round(StatementsPerEvent), ["statementsPerDelivery"] = Round(StatementsPerDelivery),
        ["transactions"] = Transactions, ["transactionsPerDelivery"] = Round(TransactionsPerDelivery),
        ["serverCpuUsPerDelivery"] = Round(ServerCpuUsPerDelivery), ["executorUsPerDelivery"] = Round(ExecutorUsPerDelivery),
        ["top"] = new JsonArray(Top.Select(t => (JsonNode)new JsonObject
        {
            ["calls"] = t.Calls, ["perDelivery"] = Round(t.Calls / (double)Deliveries), ["query"] = t.Query,
        }).ToArray()),
    };

    private static double? Round(double? value) => value is null ? null : Math.Round(value.Value, 3);
}

/// <summary>Reads <see cref="PostgresCost"/> around a measured window: started just before it, stopped just after.</summary>
public sealed class CostMeter
{
    // A busy backend adds its commits to pg_stat_database at most once a second and an idle one within 10 s, so both
    // ends of the window wait that long: otherwise the warm-up's last commits count in the window and the window's last are missed.
    private static readonly TimeSpan StatsFlush = TimeSpan.FromSeconds(11);
    private const string OwnQueries = "query NOT LIKE '%pg_stat%'"; // the meter's own reads and resets
    private readonly string _connectionString;
    private readonly long _commits;
    private readonly bool _statements;
    private readonly double? _cpuMs;

    private CostMeter(string connectionString, long commits, bool statements, double? cpuMs) =>
        (_connectionString, _commits, _statements, _cpuMs) = (connectionString, commits, statements, cpuMs);

    /// <summary>Null on SQLite. Where pg_stat_statements cannot be read, says so and counts transactions only.</summary>
    public static async Task<CostMeter?> StartAsync(Store.Place place)
    {
        if (place.Database is null) return null;
        var cs = new NpgsqlConnectionStringBuilder(place.ConnectionString) { Pooling = false }.ConnectionString;
        await Task.Delay(StatsFlush);
        var statements = true;
        try
        {
            await QueryAsync(cs, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements;");
            await QueryAsync(cs, "SELECT pg_stat_statements_reset(0, oid, 0) FROM pg_database WHERE datname = current_database();");
        }
        catch (PostgresException e)
        {
            Console.Write($"[PostgreSQL's statements could not be read: {e.MessageText}] ");
            statements = false;
        }
        return new CostMeter(cs, await CommitsAsync(cs), statements, PostgresCpuMs());
    }

    public async Task<PostgresCost> StopAsync(int events, int deliveries)
    {
        await Task.Delay(StatsFlush);
        var commits = await CommitsAsync(_connectionString) - _commits;
        var cpuMs = PostgresCpuMs() - _cpuMs;
        if (!_statements) return new PostgresCost(events, deliveries, null, commits, [], null, cpuMs);
        var rows = await QueryAsync(_connectionString, $"""
            SELECT calls, query, total_exec_time + total_plan_time FROM pg_stat_statements
            WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND {OwnQueries}
            ORDER BY calls DESC;
            """);
        var top = rows.Take(8).Select(r => ((long)r[0], string.Join(' ', ((string)r[1]).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)))).ToList();
        return new PostgresCost(events, deliveries, rows.Sum(r => (long)r[0]), commits, top, rows.Sum(r => (double)r[2]), cpuMs);
    }

    /// <summary>
    /// User and system CPU of the postgres processes on this machine, from /proc; null where there are none (a remote
    /// server). Backends that ended meanwhile take their time with them, so this can only undercount.
    /// </summary>
    public static double? PostgresCpuMs()
    {
        double ticks = 0;
        var found = false;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var close = stat.LastIndexOf(')');
                if (!stat[..close].EndsWith("(postgres", StringComparison.Ordinal)) continue;
                var fields = stat[(close + 2)..].Split(' ');
                ticks += long.Parse(fields[11]) + long.Parse(fields[12]); // utime and stime, fields 14 and 15 of stat
                found = true;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { }
        }
        return found ? ticks * 1000 / 100 : null; // USER_HZ is 100 on Linux
    }

    private static async Task<long> CommitsAsync(string cs) =>
        (long)(await QueryAsync(cs, "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database();"))[0][0];

    private static async Task<List<object[]>> QueryAsync(string cs, string sql)
    {
        await using var c = new NpgsqlConnection(cs);
        await c.OpenAsync();
        await using var command = new NpgsqlCommand(sql, c);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<object[]>();
        while (await reader.ReadAsync())
        {
            var row = new object[reader.FieldCount];
            reader.GetValues(row);
            rows.Add(row);
        }
        return rows;
    }
}
