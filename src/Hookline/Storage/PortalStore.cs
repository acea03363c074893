using Dapper;

namespace Hookline.Storage;

public sealed class PortalStore(SqlDb db) : IPortalStore
{
    public async Task<bool> UseLinkAsync(Guid linkId, DateTimeOffset now, DateTimeOffset expiresOn, CancellationToken ct = default)
    {
        await using var write = await db.BeginWriteAsync(ct);
        // Two nodes redeeming the same link at once: the primary key lets one insert, the other finds it taken.
        var inserted = await write.Connection.ExecuteAsync(
            "INSERT INTO portal_link_uses (link_id, used_on, expires_on) VALUES (@linkId, @now, @expiresOn) ON CONFLICT (link_id) DO NOTHING;",
            new { linkId, now, expiresOn }, write.Transaction);
        await write.CommitAsync(ct);
        return inserted == 1;
    }
}
