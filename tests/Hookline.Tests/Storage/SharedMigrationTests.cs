using Dapper;
using Hookline.Storage;
using Hookline.Storage.Postgres;
using Hookline.Tests.Support;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Hookline.Tests.Storage;

/// <summary>One migration history: a version number means the same change on both stores.</summary>
public sealed class SharedMigrationTests
{
    private static IEnumerable<(int Version, string Name)> History(string store) =>
        Migration.Load($"Storage.{store}.Migrations").Select(m => (m.Version, m.Name));

    [Fact]
    public void BothStoresHaveTheSameVersionsUnderTheSameNames() =>
        Assert.Equal(History("Sqlite"), History("Postgres"));

    [PostgresFact]
    public async Task APostgresDatabaseFromBeforeTheSharedHistoryIsRenumberedAndUpgraded()
    {
        using var database = new PostgresTestDatabase();
        using var db = new PostgresDb(Options.Create(new DatabaseOptions { Provider = "postgres", ConnectionString = database.ConnectionString }));
        var schema = new PostgresDatabase(db, TimeProvider.System);
        await schema.MigrateAsync();
        await using (var c = new NpgsqlConnection(database.ConnectionString))
        {
            // PostgreSQL's history before: 1 initial, 2 log_node, 3 rate_windows (and nothing of 6 to 12 yet).
            await c.ExecuteAsync(
                """
                DELETE FROM schema_version WHERE version IN (2, 3, 6, 7, 8, 9, 10, 11, 12);
                ALTER TABLE webhooks DROP COLUMN alert_state, DROP COLUMN alerts_due, DROP COLUMN max_per_second, DROP COLUMN max_concurrency,
                  DROP COLUMN timeout_seconds, DROP COLUMN retry_schedule, DROP COLUMN max_attempts, DROP COLUMN fifo;
                DROP TABLE webhook_leases;
                DROP TABLE portal_link_uses;
                ALTER TABLE events DROP COLUMN trace_parent;
                DROP TABLE delivery_queue;
                DROP INDEX ix_deliveries_webhook;
                DROP INDEX ix_deliveries_created;
                ALTER TABLE deliveries ADD COLUMN lease_until timestamptz NULL, ADD COLUMN lease_token bigint NULL, ADD COLUMN leased_by text NULL;
                CREATE INDEX ix_deliveries_due ON deliveries (due_at, id) WHERE status = 0;
                CREATE INDEX ix_deliveries_webhook ON deliveries (webhook_id, status, created_on);
                CREATE INDEX ix_deliveries_completed ON deliveries (completed_on) WHERE status <> 0;
                UPDATE schema_version SET version = version - 2 WHERE version IN (4, 5);
                ALTER TABLE deliveries RESET (fillfactor);
                ALTER TABLE deliveries ADD CONSTRAINT deliveries_event_id_fkey FOREIGN KEY (event_id) REFERENCES events (id);
                """);
        }

        var upgrade = await schema.MigrateAsync();

        Assert.Equal(5, upgrade.From);
        Assert.Equal([6, 7, 8, 9, 10, 11, 12], upgrade.Applied);
        await using var check = new NpgsqlConnection(database.ConnectionString);
        Assert.Equal([1, 4, 5, 6, 7, 8, 9, 10, 11, 12], await check.QueryAsync<int>("SELECT version FROM schema_version ORDER BY version;"));
        Assert.Equal(["fillfactor=60"], (await check.ExecuteScalarAsync<string[]>("SELECT reloptions FROM pg_class WHERE relname = 'deliveries';"))!);
        Assert.Empty(await check.QueryAsync<string>("SELECT conname FROM pg_constraint WHERE conname = 'deliveries_event_id_fkey';"));
        Assert.Empty((await schema.MigrateAsync()).Applied);
    }
}
