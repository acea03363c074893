using Dapper;

namespace Hookline.Storage;

public sealed class TokenStore(SqlDb db, TimeProvider time) : ITokenStore
{
    private const string Columns = "id, workspace_id, name, permissions, token_hash, created_on, last_used_on, revoked_on";

    public async Task<Workspace> EnsureWorkspaceAsync(Guid id, string name, CancellationToken ct = default)
    {
        await using var write = await db.BeginWriteAsync(ct);
        await write.Connection.ExecuteAsync(
            "INSERT INTO workspaces (id, name, created_on) VALUES (@id, @name, @now) ON CONFLICT (id) DO NOTHING;",
            new { id, name, now = time.GetUtcNow() }, write.Transaction);
        var row = await write.Connection.QuerySingleAsync<WorkspaceRow>(
            "SELECT id, name, created_on FROM workspaces WHERE id = @id;", new { id }, write.Transaction);
        await write.CommitAsync(ct);
        return new Workspace(row.Id, row.Name, row.CreatedOn);
    }

    public async Task<bool> AnyTokensAsync(CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM api_tokens);");
    }

    public async Task<bool> InsertFirstAdminAsync(Workspace workspace, ApiToken t, CancellationToken ct = default)
    {
        await using var write = await db.BeginWriteAsync(ct);
        var (c, tx) = (write.Connection, write.Transaction);
        if (db.Dialect.LockTable("api_tokens") is { Length: > 0 } lockTable) await c.ExecuteAsync(lockTable, transaction: tx); // nodes starting together take turns
        if (await c.ExecuteScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM api_tokens);", transaction: tx)) return false;
        await c.ExecuteAsync("INSERT INTO workspaces (id, name, created_on) VALUES (@Id, @Name, @CreatedOn);",
            new { workspace.Id, workspace.Name, workspace.CreatedOn }, tx);
        await c.ExecuteAsync(InsertSql, Parameters(t), tx);
        await write.CommitAsync(ct);
        return true;
    }

    private const string InsertSql =
        $"INSERT INTO api_tokens ({Columns}) VALUES (@Id, @WorkspaceId, @Name, @Permissions, @TokenHash, @CreatedOn, NULL, NULL);";

    private static object Parameters(ApiToken t) =>
        new { t.Id, t.WorkspaceId, t.Name, Permissions = string.Join(',', t.Permissions), t.TokenHash, t.CreatedOn };

    public Task InsertAsync(ApiToken t, CancellationToken ct = default) => WriteAsync(InsertSql, Parameters(t), ct);

    public async Task<ApiToken?> FindByHashAsync(string tokenHash, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var row = await c.QuerySingleOrDefaultAsync<TokenRow>($"SELECT {Columns} FROM api_tokens WHERE token_hash = @tokenHash;", new { tokenHash });
        return row?.ToToken();
    }

    public async Task<IReadOnlyList<ApiToken>> ListAsync(CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<TokenRow>($"SELECT {Columns} FROM api_tokens ORDER BY created_on, id;")).Select(r => r.ToToken()).ToList();
    }

    public async Task<bool> RevokeAsync(Guid id, DateTimeOffset when, CancellationToken ct = default) =>
        await WriteAsync("UPDATE api_tokens SET revoked_on = @when WHERE id = @id AND revoked_on IS NULL;", new { id, when }, ct) == 1;

    public async Task<IReadOnlyList<Workspace>> ListWorkspacesAsync(CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<WorkspaceRow>("SELECT id, name, created_on FROM workspaces ORDER BY created_on, id;"))
            .Select(r => new Workspace(r.Id, r.Name, r.CreatedOn)).ToList();
    }

    public Task TouchAsync(Guid id, DateTimeOffset when, CancellationToken ct = default) =>
        WriteAsync("UPDATE api_tokens SET last_used_on = @when WHERE id = @id;", new { id, when }, ct);

    private async Task<int> WriteAsync(string sql, object args, CancellationToken ct)
    {
        await using var write = await db.BeginWriteAsync(ct);
        var changed = await write.Connection.ExecuteAsync(sql, args, write.Transaction);
        await write.CommitAsync(ct);
        return changed;
    }

    private sealed class WorkspaceRow
    {
        public Guid Id { get; init; }
        public string Name { get; init; } = "";
        public DateTimeOffset CreatedOn { get; init; }
    }

    private sealed class TokenRow
    {
        public Guid Id { get; init; }
        public Guid? WorkspaceId { get; init; }
        public string Name { get; init; } = "";
        public string Permissions { get; init; } = "";
        public string TokenHash { get; init; } = "";
        public DateTimeOffset CreatedOn { get; init; }
        public DateTimeOffset? LastUsedOn { get; init; }
        public DateTimeOffset? RevokedOn { get; init; }

        public ApiToken ToToken() =>
            new(Id, WorkspaceId, Name, Permissions.Split(',', StringSplitOptions.RemoveEmptyEntries), TokenHash, CreatedOn, LastUsedOn, RevokedOn);
    }
}
