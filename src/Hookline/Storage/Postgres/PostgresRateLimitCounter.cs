using Dapper;
using Hookline.Auth;

namespace Hookline.Storage.Postgres;

/// <summary>Counts in the shared database, so a workspace's limits hold across every API node.</summary>
public sealed class PostgresRateLimitCounter(PostgresDb db) : IRateLimitCounter
{
    public async Task<(int Second, int Minute)> IncrementAsync(Guid workspaceId, long second, long minute, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        // Every request of a workspace updates the same two rows, so each waits for the one before it to commit. A counter
        // need not survive a crash: this transaction commits without waiting for the WAL flush (set_config(..., true)
        // lasts to the end of the implicit transaction both statements share), which keeps that queue short.
        using var results = await c.QueryMultipleAsync(
            """
            SELECT set_config('synchronous_commit', 'off', true);
            INSERT INTO rate_windows AS r (workspace_id, kind, window_start, count) VALUES (@workspaceId, 1, @second, 1), (@workspaceId, 2, @minute, 1)
            ON CONFLICT (workspace_id, kind, window_start) DO UPDATE SET count = r.count + 1
            RETURNING kind, count;
            """, new { workspaceId, second, minute });
        await results.ReadAsync<string>();
        var counts = (await results.ReadAsync<(short Kind, int Count)>()).ToDictionary(r => r.Kind, r => r.Count);
        return (counts[1], counts[2]);
    }
}
