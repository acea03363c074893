using Dapper;
using static Hookline.Storage.Sqlite.SqliteValues;

namespace Hookline.Storage.Sqlite;

public sealed class SqliteTokenStore(SqliteDb db, TimeProvider time) : ITokenStore
{
    private const string Columns = "id, workspace_id, name, permissions, token_hash, created_on, last_used_on, revoked_on";

    public async Task<Workspace> EnsureWorkspaceAsync(Guid id, string name, CancellationToken ct = default)
    {
        await using var writer = await db.BeginWriteAsync(ct);
        await writer.Connection.ExecuteAsync(
            "INSERT INTO workspaces (id, name, created_on) VALUES (@Id, @Name, @Now) ON CONFLICT (id) DO NOTHING;",
            new { Id = Id(id), Name = name, Now = Time(time.GetUtcNow()) }, writer.Transaction);
        var row = await writer.Connection.QuerySingleAsync<(string Id, string Name, long CreatedOn)>(
            "SELECT id, name, created_on FROM workspaces WHERE id = @Id;", new { Id = Id(id) }, writer.Transaction);
        await writer.CommitAsync(ct);
        return new Workspace(Guid.Parse(row.Id), row.Name, Time(row.CreatedOn));
    }

    public async Task<bool> AnyTokensAsync(CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteScalarAsync<long>("SELECT EXISTS (SELECT 1 FROM api_tokens);") == 1;
    }

    public async Task<bool> InsertFirstAdminAsync(Workspace workspace, ApiToken t, CancellationToken ct = default)
    {
        await using var writer = await db.BeginWriteAsync(ct);
        var (c, tx) = (writer.Connection, writer.Transaction);
        if (await c.ExecuteScalarAsync<long>("SELECT EXISTS (SELECT 1 FROM api_tokens);", transaction: tx) == 1) return false;
        await c.ExecuteAsync("INSERT INTO workspaces (id, name, created_on) VALUES (@Id, @Name, @Now);",
            new { Id = Id(workspace.Id), workspace.Name, Now = Time(workspace.CreatedOn) }, tx);
        await c.ExecuteAsync(InsertSql, Parameters(t), tx);
        await tx.CommitAsync(ct);
        return true;
    }

    private const string InsertSql =
        $"INSERT INTO api_tokens ({Columns}) VALUES (@Id, @WorkspaceId, @Name, @Permissions, @TokenHash, @CreatedOn, NULL, NULL);";

    private static object Parameters(ApiToken t) => new
    {
        Id = Id(t.Id), WorkspaceId = Id(t.WorkspaceId), t.Name, Permissions = string.Join(',', t.Permissions), t.TokenHash,
        CreatedOn = Time(t.CreatedOn),
    };

    public Task InsertAsync(ApiToken t, CancellationToken ct = default) => WriteAsync(InsertSql, Parameters(t), ct);

    public async Task<ApiToken?> FindByHashAsync(string tokenHash, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var row = await c.QuerySingleOrDefaultAsync<TokenRow>(
            $"SELECT {Columns} FROM api_tokens WHERE token_hash = @tokenHash;", new { tokenHash });
        return row?.ToToken();
    }

    public async Task<IReadOnlyList<ApiToken>> ListAsync(CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var rows = await c.QueryAsync<TokenRow>($"SELECT {Columns} FROM api_tokens ORDER BY created_on, id;");
        return rows.Select(r => r.ToToken()).ToList();
    }

    public async Task<bool> RevokeAsync(Guid id, DateTimeOffset when, CancellationToken ct = default) =>
        await WriteAsync("UPDATE api_tokens SET revoked_on = COALESCE(revoked_on, @When) WHERE id = @Id;",
            new { Id = Id(id), When = Time(when) }, ct) == 1;

    public Task TouchAsync(Guid id, DateTimeOffset when, CancellationToken ct = default) =>
        WriteAsync("UPDATE api_tokens SET last_used_on = @When WHERE id = @Id;", new { Id = Id(id), When = Time(when) }, ct);

    private async Task<int> WriteAsync(string sql, object args, CancellationToken ct)
    {
        await using var writer = await db.BeginWriteAsync(ct);
        var changed = await writer.Connection.ExecuteAsync(sql, args, writer.Transaction);
        await writer.CommitAsync(ct);
        return changed;
    }

    private sealed class TokenRow
    {
        public string Id { get; init; } = "";
        public string? WorkspaceId { get; init; }
        public string Name { get; init; } = "";
        public string Permissions { get; init; } = "";
        public string TokenHash { get; init; } = "";
        public long CreatedOn { get; init; }
        public long? LastUsedOn { get; init; }
        public long? RevokedOn { get; init; }

        public ApiToken ToToken() => new(
            Guid.Parse(Id), WorkspaceId is null ? null : Guid.Parse(WorkspaceId), Name,
            Permissions.Split(',', StringSplitOptions.RemoveEmptyEntries), TokenHash,
            Time(CreatedOn), Time(LastUsedOn), Time(RevokedOn));
    }
}
