using Npgsql;

namespace Hookline.Bench;

/// <summary>
/// Where each workload's Hookline keeps its data: a fresh SQLite file, or with <c>--postgres CONN</c> a fresh database on
/// that server (created and dropped here), so that every workload starts empty on either store.
/// </summary>
public sealed class Store(string root, string? postgres)
{
    public string Name => postgres is null ? "sqlite" : "postgres";
    public string? Postgres => postgres;

    public sealed record Place(string Folder, Dictionary<string, string> Settings, string? Database)
    {
        public string ConnectionString => Settings["Hookline__Database__ConnectionString"];
    }

    public Place New()
    {
        var folder = Directory.CreateDirectory(Path.Combine(root, Guid.NewGuid().ToString("N"))).FullName;
        if (postgres is null)
            return new(folder, new() { ["Hookline__Database__ConnectionString"] = Path.Combine(folder, "hookline.db") }, null);
        var name = $"hookline_bench_{Guid.NewGuid():N}";
        Execute($"CREATE DATABASE {name};");
        var cs = new NpgsqlConnectionStringBuilder(postgres) { Database = name }.ConnectionString;
        return new(folder, new() { ["Hookline__Database__Provider"] = "postgres", ["Hookline__Database__ConnectionString"] = cs }, name);
    }

    public void Drop(Place place)
    {
        if (place.Database is not null)
        {
            NpgsqlConnection.ClearAllPools();
            Execute($"DROP DATABASE IF EXISTS {place.Database} WITH (FORCE);");
        }
        try { Directory.Delete(place.Folder, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // the bench's folder goes at exit anyway
    }

    /// <summary>
    /// Writes out what the workloads before (and this one's warm-up) left dirty, just before a timed window: PostgreSQL's
    /// <c>CHECKPOINT</c>, then the file system's <c>sync</c>. Without it a workload paid for the one before it: in one full
    /// run PostgreSQL's latency workload (p99 330 ms, 8.6-20.8 ms in the other runs) ran inside a 24 s checkpoint started by
    /// the throughput workload's WAL, flushing its 100,000 deliveries (958 files synced). A server of yours where the bench
    /// may not checkpoint (it needs superuser or pg_checkpoint) is left to itself.
    /// </summary>
    public void Quiesce()
    {
        if (postgres is not null && !_mayNotCheckpoint)
        {
            try { Execute("CHECKPOINT;"); }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
            {
                _mayNotCheckpoint = true;
                Console.Write("[no CHECKPOINT before timed windows: the bench's role may not] ");
            }
        }
        Sync();
    }

    private bool _mayNotCheckpoint;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "sync")]
    private static extern void Sync();

    /// <summary>The PostgreSQL server's version and the settings its figures depend on, by name.</summary>
    public Dictionary<string, string> ServerSettings()
    {
        using var c = new NpgsqlConnection(postgres);
        c.Open();
        string Show(string name)
        {
            using var show = new NpgsqlCommand($"SHOW {name};", c);
            return (string)show.ExecuteScalar()!;
        }
        return new[] { "server_version", "fsync", "synchronous_commit", "full_page_writes", "shared_preload_libraries", "max_connections" }
            .ToDictionary(name => name, Show);
    }

    private void Execute(string sql)
    {
        using var c = new NpgsqlConnection(postgres);
        c.Open();
        using var cmd = new NpgsqlCommand(sql, c);
        cmd.ExecuteNonQuery();
    }
}
