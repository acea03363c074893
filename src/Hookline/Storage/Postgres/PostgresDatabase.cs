using Dapper;

namespace Hookline.Storage.Postgres;

public sealed class PostgresDatabase(PostgresDb db, TimeProvider time) : IDatabase
{
    private static readonly IReadOnlyList<Migration> Migrations = Migration.Load("Storage.Postgres.Migrations");
    // Any constant: nodes starting together take turns on this lock instead of racing through the scripts.
    private const long MigrationLock = 0x486f6f6b6c696e65; // "Hookline"

    public async Task<MigrationResult> MigrateAsync(CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        await c.ExecuteAsync("SELECT pg_advisory_lock(@MigrationLock);", new { MigrationLock });
        try
        {
            await c.ExecuteAsync(
                "CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL PRIMARY KEY, name text NOT NULL, applied_on timestamptz NOT NULL);");
            // Before both stores shared one history, PostgreSQL's 2 and 3 were what is now 4 and 5 (its 0001 holds 1 to 3).
            await c.ExecuteAsync("UPDATE schema_version SET version = version + 2 WHERE (version, name) IN ((2, 'log_node'), (3, 'rate_windows'));");
            var from = await c.ExecuteScalarAsync<int?>("SELECT MAX(version) FROM schema_version;") ?? 0;
            var known = Migrations.Count == 0 ? 0 : Migrations[^1].Version;
            if (from > known) throw new DatabaseTooNewException(from, known);

            var applied = new List<int>();
            foreach (var migration in Migrations.Where(m => m.Version > from))
            {
                await using var tx = await c.BeginTransactionAsync(ct);
                await c.ExecuteAsync(migration.Sql, transaction: tx);
                await c.ExecuteAsync("INSERT INTO schema_version (version, name, applied_on) VALUES (@Version, @Name, @Now);",
                    new { migration.Version, migration.Name, Now = time.GetUtcNow() }, tx);
                await tx.CommitAsync(ct);
                applied.Add(migration.Version);
            }
            return new MigrationResult(from, Math.Max(from, known), applied);
        }
        finally
        {
            await c.ExecuteAsync("SELECT pg_advisory_unlock(@MigrationLock);", new { MigrationLock });
        }
    }

    public async Task<bool> PingAsync(CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM schema_version;") > 0;
    }
}
