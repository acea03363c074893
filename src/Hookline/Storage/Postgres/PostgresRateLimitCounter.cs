using Dapper;
using Hookline.Auth;

namespace Hookline.Storage.Postgres;

/// <summary>Counts in the shared database, so a workspace's limits hold across every API node.</summary>
public sealed class PostgresRateLimitCounter(PostgresDb db) : IRateLimitCounter
{
    public async Task<(int Second, int Minute)> IncrementAsync(Guid workspaceId, long second, long minute, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var counts = (await c.QueryAsync<(short Kind, int Count)>(
            """
            INSERT INTO rate_windows AS r (workspace_id, kind, window_start, count) VALUES (@workspaceId, 1, @second, 1), (@workspaceId, 2, @minute, 1)
            ON CONFLICT (workspace_id, kind, window_start) DO UPDATE SET count = r.count + 1
            RETURNING kind, count;
            """, new { workspaceId, second, minute })).ToDictionary(r => r.Kind, r => r.Count);
        return (counts[1], counts[2]);
    }
}
