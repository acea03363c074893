using System.Collections.Concurrent;
using Hookline.Storage;

namespace Hookline.Auth;

/// <summary>
/// Remembers the tokens found by hash for <see cref="Lifetime"/>, so that authenticating a request reads the database at most
/// once a second per token: on PostgreSQL that read was a round trip per request and most of single-event ingest's cost
/// (2.7k → 4.8k events/s in the bench). A token revoked through this node stops working at once; one revoked elsewhere (another
/// node, the CLI) within <see cref="Lifetime"/>.
/// </summary>
public sealed class CachedTokenStore(ITokenStore inner, TimeProvider time) : ITokenStore
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(1);
    private const int PruneAbove = 10_000;
    private readonly ConcurrentDictionary<string, (ApiToken Token, DateTimeOffset Until)> _byHash = new();

    public async Task<ApiToken?> FindByHashAsync(string tokenHash, CancellationToken ct = default)
    {
        var now = time.GetUtcNow();
        if (_byHash.TryGetValue(tokenHash, out var hit) && hit.Until > now) return hit.Token;
        var token = await inner.FindByHashAsync(tokenHash, ct);
        if (token is null) return null; // unknown tokens are not remembered: guessing them must not fill memory
        if (_byHash.Count > PruneAbove)
            foreach (var (hash, entry) in _byHash)
                if (entry.Until <= now) _byHash.TryRemove(hash, out _);
        _byHash[tokenHash] = (token, now + Lifetime);
        return token;
    }

    public async Task<bool> RevokeAsync(Guid id, DateTimeOffset when, CancellationToken ct = default)
    {
        var revoked = await inner.RevokeAsync(id, when, ct);
        Forget(id);
        return revoked;
    }

    public async Task TouchAsync(Guid id, DateTimeOffset when, CancellationToken ct = default)
    {
        await inner.TouchAsync(id, when, ct);
        Forget(id);
    }

    /// <summary>A change made through this node is seen at once.</summary>
    private void Forget(Guid id)
    {
        foreach (var (hash, entry) in _byHash)
            if (entry.Token.Id == id) _byHash.TryRemove(hash, out _);
    }

    public Task<Workspace> EnsureWorkspaceAsync(Guid id, string name, CancellationToken ct = default) => inner.EnsureWorkspaceAsync(id, name, ct);
    public Task<IReadOnlyList<Workspace>> ListWorkspacesAsync(CancellationToken ct = default) => inner.ListWorkspacesAsync(ct);
    public Task<bool> AnyTokensAsync(CancellationToken ct = default) => inner.AnyTokensAsync(ct);
    public Task<bool> InsertFirstAdminAsync(Workspace workspace, ApiToken token, CancellationToken ct = default) =>
        inner.InsertFirstAdminAsync(workspace, token, ct);
    public Task InsertAsync(ApiToken token, CancellationToken ct = default) => inner.InsertAsync(token, ct);
    public Task<IReadOnlyList<ApiToken>> ListAsync(CancellationToken ct = default) => inner.ListAsync(ct);
}
