using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Hookline.Storage;

namespace Hookline.Auth;

/// <summary>Issues, finds and revokes API tokens. Only a token's SHA-256 is stored; the token itself is shown once.</summary>
public sealed class TokenService(ITokenStore store, TimeProvider time)
{
    public const string Prefix = "hl_";
    private const int RandomBytes = 32;
    // Bounds the work an attacker can cause by sending huge bearer values.
    private const int MaxTokenLength = 128;

    public sealed record Issued(ApiToken Token, string Secret);

    public async Task<Issued> CreateAsync(Guid? workspaceId, IReadOnlyList<string> permissions, string name, CancellationToken ct = default)
    {
        var unknown = permissions.Except(Permissions.All).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"Unknown permission(s): {string.Join(", ", unknown)}. Known: {string.Join(", ", Permissions.All)}.");
        if (workspaceId is not null && permissions.Contains(Permissions.MetricsRead))
            throw new ArgumentException($"'{Permissions.MetricsRead}' is for system tokens (no workspace): the metrics cover every workspace.");
        if (workspaceId is not null && permissions.Contains(Permissions.PortalIssue))
            throw new ArgumentException($"'{Permissions.PortalIssue}' is for system tokens (no workspace): its links may open any workspace.");
        if (workspaceId is { } ws) await store.EnsureWorkspaceAsync(ws, ws.ToString(), ct);

        var issued = New(workspaceId, permissions, name);
        await store.InsertAsync(issued.Token, ct);
        return issued;
    }

    /// <summary>On a database without tokens: workspace 'default' and an admin token; null when another start got there first.</summary>
    public async Task<(Workspace Workspace, Issued Admin)?> CreateFirstAdminAsync(CancellationToken ct = default)
    {
        var workspace = new Workspace(Guid.NewGuid(), "default", time.GetUtcNow());
        var admin = New(workspace.Id, [Permissions.Admin, Permissions.EventsPublish], "first-start admin");
        return await store.InsertFirstAdminAsync(workspace, admin.Token, ct) ? (workspace, admin) : null;
    }

    private Issued New(Guid? workspaceId, IReadOnlyList<string> permissions, string name)
    {
        var secret = Prefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(RandomBytes));
        return new Issued(new ApiToken(Guid.NewGuid(), workspaceId, name, permissions.Distinct().ToList(), Hash(secret), time.GetUtcNow(),
            null, null), secret);
    }

    /// <summary>The live token for a presented secret, or null when it is malformed, unknown or revoked.</summary>
    public async Task<ApiToken?> FindAsync(string secret, CancellationToken ct = default)
    {
        if (secret.Length > MaxTokenLength || !secret.StartsWith(Prefix, StringComparison.Ordinal)) return null;
        var token = await store.FindByHashAsync(Hash(secret), ct);
        return token is { RevokedOn: null } ? token : null;
    }

    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
}
