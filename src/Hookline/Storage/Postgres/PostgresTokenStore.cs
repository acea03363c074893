using Dapper;
using static Hookline.Storage.Postgres.PostgresDb;

namespace Hookline.Storage.Postgres;

public sealed class PostgresTokenStore(PostgresDb db, TimeProvider time) : ITokenStore
{
    private const string Columns = "id, workspace_id, name, permissions, token_hash, created_on, last_used_on, revoked_on";

    public async Task<Workspace> EnsureWorkspaceAsync(Guid id, string name, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        await c.ExecuteAsync("INSERT INTO workspaces (id, name, created_on) VALUES (@id, @name, @now) ON CONFLICT (id) DO NOTHING;",
            new { id, name, now = Utc(time.GetUtcNow()) });
        var row = await c.QuerySingleAsync<(Guid Id, string Name, DateTime CreatedOn)>("SELECT id, name, created_on FROM workspaces WHERE id = @id;", new { id });
        return new Workspace(row.Id, row.Name, Time(row.CreatedOn));
    }

    public async Task<bool> AnyTokensAsync(CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM api_tokens);");
    }

    public async Task<bool> InsertFirstAdminAsync(Workspace workspace, ApiToken t, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        await c.ExecuteAsync("LOCK TABLE api_tokens IN EXCLUSIVE MODE;", transaction: tx); // nodes starting together take turns
        if (await c.ExecuteScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM api_tokens);", transaction: tx)) return false;
        await c.ExecuteAsync("INSERT INTO workspaces (id, name, created_on) VALUES (@Id, @Name, @CreatedOn);",
            new { workspace.Id, workspace.Name, CreatedOn = Utc(workspace.CreatedOn) }, tx);
        await c.ExecuteAsync(InsertSql, Parameters(t), tx);
        await tx.CommitAsync(ct);
        return true;
    }

    private const string InsertSql =
        $"INSERT INTO api_tokens ({Columns}) VALUES (@Id, @WorkspaceId, @Name, @Permissions, @TokenHash, @CreatedOn, NULL, NULL);";

    private static object Parameters(ApiToken t) =>
        new { t.Id, t.WorkspaceId, t.Name, Permissions = string.Join(',', t.Permissions), t.TokenHash, CreatedOn = Utc(t.CreatedOn) };

    public async Task InsertAsync(ApiToken t, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        await c.ExecuteAsync(InsertSql, Parameters(t));
    }

    public async Task<ApiToken?> FindByHashAsync(string tokenHash, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QuerySingleOrDefaultAsync<TokenRow>($"SELECT {Columns} FROM api_tokens WHERE token_hash = @tokenHash;", new { tokenHash }))?.ToToken();
    }

    public async Task<IReadOnlyList<ApiToken>> ListAsync(CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<TokenRow>($"SELECT {Columns} FROM api_tokens ORDER BY created_on, id;")).Select(r => r.ToToken()).ToList();
    }

    public async Task<bool> RevokeAsync(Guid id, DateTimeOffset when, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteAsync("UPDATE api_tokens SET revoked_on = COALESCE(revoked_on, @when) WHERE id = @id;", new { id, when = Utc(when) }) == 1;
    }

    public async Task TouchAsync(Guid id, DateTimeOffset when, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        await c.ExecuteAsync("UPDATE api_tokens SET last_used_on = @when WHERE id = @id;", new { id, when = Utc(when) });
    }

    private sealed class TokenRow
    {
        public Guid Id { get; init; }
        public Guid? WorkspaceId { get; init; }
        public string Name { get; init; } = "";
        public string Permissions { get; init; } = "";
        public string TokenHash { get; init; } = "";
        public DateTime CreatedOn { get; init; }
        public DateTime? LastUsedOn { get; init; }
        public DateTime? RevokedOn { get; init; }

        public ApiToken ToToken() => new(Id, WorkspaceId, Name, Permissions.Split(',', StringSplitOptions.RemoveEmptyEntries), TokenHash,
            Time(CreatedOn), Time(LastUsedOn), Time(RevokedOn));
    }
}
