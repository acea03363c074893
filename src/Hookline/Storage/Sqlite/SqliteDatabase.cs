using Dapper;

namespace Hookline.Storage.Sqlite;

public sealed class SqliteDatabase(SqliteDb db, TimeProvider time) : IDatabase
{
    private static readonly IReadOnlyList<Migration> Migrations = Migration.Load("Storage.Sqlite.Migrations");

    public async Task<MigrationResult> MigrateAsync(CancellationToken ct = default)
    {
        await using var connection = await db.OpenSqliteAsync(ct);
        await connection.ExecuteAsync("PRAGMA journal_mode = WAL;");
        await connection.ExecuteAsync(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_on INTEGER NOT NULL);");

        var from = await connection.ExecuteScalarAsync<int?>("SELECT MAX(version) FROM schema_version;") ?? 0;
        var known = Migrations.Count == 0 ? 0 : Migrations[^1].Version;
        if (from > known) throw new DatabaseTooNewException(from, known);

        var applied = new List<int>();
        foreach (var migration in Migrations.Where(m => m.Version > from))
        {
            // BEGIN IMMEDIATE: two processes starting together queue here instead of both applying the script.
            await using var tx = connection.BeginTransaction(deferred: false);
            var already = await connection.ExecuteScalarAsync<int>(
                "SELECT COUNT(*) FROM schema_version WHERE version = @Version;", new { migration.Version }, tx);
            if (already > 0) { await tx.CommitAsync(ct); continue; }
            await connection.ExecuteAsync(migration.Sql, transaction: tx);
            await connection.ExecuteAsync(
                "INSERT INTO schema_version (version, name, applied_on) VALUES (@Version, @Name, @Now);",
                new { migration.Version, migration.Name, Now = SqlValues.Millis(time.GetUtcNow()) }, tx);
            await tx.CommitAsync(ct);
            applied.Add(migration.Version);
        }
        return new MigrationResult(from, Math.Max(from, known), applied);
    }

    public async Task<bool> PingAsync(CancellationToken ct = default)
    {
        await using var connection = await db.OpenSqliteAsync(ct);
        return await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM schema_version;") > 0;
    }
}
