using System.Text.Json.Nodes;
using Npgsql;

namespace Hookline.Bench;

/// <summary>
/// What PostgreSQL itself did for a measured window on one database: statements executed (pg_stat_statements, null where
/// the server does not have it) and transactions committed (pg_stat_database), per event and per delivery.
/// </summary>
public sealed record PostgresCost(int Events, int Deliveries, long? Statements, long Transactions, IReadOnlyList<(long Calls, string Query)> Top)
{
    public double? StatementsPerEvent => Statements / (double)Events;
    public double? StatementsPerDelivery => Statements / (double)Deliveries;
    public double TransactionsPerDelivery => Transactions / (double)Deliveries;

    public JsonObject ToJson() => new()
    {
        ["events"] = Events, ["deliveries"] = Deliveries,
        ["statements"] = Statements, ["statementsPerEvent"] = Round(StatementsPerEvent), ["statementsPerDelivery"] = Round(StatementsPerDelivery),
        ["transactions"] = Transactions, ["transactionsPerDelivery"] = Round(TransactionsPerDelivery),
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

    private CostMeter(string connectionString, long commits, bool statements) =>
        (_connectionString, _commits, _statements) = (connectionString, commits, statements);

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
        return new CostMeter(cs, await CommitsAsync(cs), statements);
    }

    public async Task<PostgresCost> StopAsync(int events, int deliveries)
    {
        await Task.Delay(StatsFlush);
        var commits = await CommitsAsync(_connectionString) - _commits;
        if (!_statements) return new PostgresCost(events, deliveries, null, commits, []);
        var rows = await QueryAsync(_connectionString, $"""
            SELECT calls, query FROM pg_stat_statements
            WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND {OwnQueries}
            ORDER BY calls DESC;
            """);
        var top = rows.Take(8).Select(r => ((long)r[0], string.Join(' ', ((string)r[1]).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)))).ToList();
        return new PostgresCost(events, deliveries, rows.Sum(r => (long)r[0]), commits, top);
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
