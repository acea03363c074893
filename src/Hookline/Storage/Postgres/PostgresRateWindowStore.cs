using Npgsql;
using NpgsqlTypes;

namespace Hookline.Storage.Postgres;

/// <summary>The <c>rate_windows</c> rows every node adds its counts to, one statement per sync for all its workspaces.</summary>
public sealed class PostgresRateWindowStore(PostgresDb db) : IRateWindowStore
{
    // The rows are added in key order, so two nodes adding to the same windows lock them in the same order and cannot
    // deadlock. A window written here is read from the INSERT's RETURNING (the outer SELECT sees the table as it was
    // before the statement); the others are read as they stand.
    private const string AddSql =
        """
        WITH d AS (
            SELECT * FROM unnest($1::uuid[], $2::smallint[], $3::bigint[], $4::integer[]) AS d(workspace_id, kind, window_start, added)
        ), written AS (
            INSERT INTO rate_windows AS r (workspace_id, kind, window_start, count)
            SELECT workspace_id, kind, window_start, added FROM d WHERE added > 0 ORDER BY workspace_id, kind, window_start
            ON CONFLICT (workspace_id, kind, window_start) DO UPDATE SET count = r.count + excluded.count
            RETURNING r.workspace_id, r.kind, r.window_start, r.count
        )
        SELECT d.workspace_id, d.kind, d.window_start, COALESCE(w.count, r.count, 0)
        FROM d
        LEFT JOIN written w ON (w.workspace_id, w.kind, w.window_start) = (d.workspace_id, d.kind, d.window_start)
        LEFT JOIN rate_windows r ON (r.workspace_id, r.kind, r.window_start) = (d.workspace_id, d.kind, d.window_start);
        """;

    public async Task<IReadOnlyList<WindowTotal>> AddAsync(IReadOnlyList<WindowDelta> deltas, CancellationToken ct = default)
    {
        if (deltas.Count == 0) return [];
        await using var c = await db.DataSource.OpenConnectionAsync(ct);
        // A counter need not survive a crash: this transaction commits without waiting for the WAL flush (set_config(...,
        // true) lasts to the end of the implicit transaction the batch shares).
        await using var batch = new NpgsqlBatch(c)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("SELECT set_config('synchronous_commit', 'off', true);"),
                new NpgsqlBatchCommand(AddSql)
                {
                    Parameters =
                    {
                        new() { Value = deltas.Select(d => d.WorkspaceId).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid },
                        new() { Value = deltas.Select(d => (short)d.Kind).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Smallint },
                        new() { Value = deltas.Select(d => d.Start).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint },
                        new() { Value = deltas.Select(d => d.Added).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer },
                    },
                },
            },
        };
        await using var reader = await batch.ExecuteReaderAsync(ct);
        await reader.NextResultAsync(ct); // past set_config's row
        var totals = new List<WindowTotal>(deltas.Count);
        while (await reader.ReadAsync(ct))
            totals.Add(new(reader.GetGuid(0), (RateWindowKind)reader.GetInt16(1), reader.GetInt64(2), reader.GetInt32(3)));
        return totals;
    }
}
